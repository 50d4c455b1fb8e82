package io.jettygraceful.spring.boot.example;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The Spring Boot sample: a web app on Boot's Jetty with the jetty-graceful starter and nothing else to wire.
 * {@code java -jar jetty-graceful-spring-boot-example.jar}, then {@code kill -HUP <pid>} restarts it with zero downtime.
 */
@SpringBootApplication
public class ExampleApplication
{
    public static void main(String[] args)
    {
        SpringApplication.run(ExampleApplication.class, args);
    }
}
