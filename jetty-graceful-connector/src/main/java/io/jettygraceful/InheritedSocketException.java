package io.jettygraceful;

import java.io.IOException;

/**
 * The sockets this process was given cannot be used as they are. The message names the variable or fd, what it
 * held, what was expected and how to fix it; it is meant to be the only line an operator needs.
 */
public class InheritedSocketException extends IOException
{
    public InheritedSocketException(String message)
    {
        super(message);
    }
}
