"""JetStream wiring: streams and consumers provisioned in code, the relay, the consumer runtime."""
