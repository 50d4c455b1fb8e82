package io.jettygraceful.internal.drain;

/** Whether an optional dependency (HTTP/2, WebSocket) is on the class path, without initializing anything of it. */
final class OptionalClasses
{
    private OptionalClasses()
    {
    }

    /** @return whether {@code className} can be loaded by the class loader of this library */
    static boolean present(String className)
    {
        try
        {
            Class.forName(className, false, OptionalClasses.class.getClassLoader());
            return true;
        }
        catch (ClassNotFoundException | LinkageError x)
        {
            return false;
        }
    }
}
