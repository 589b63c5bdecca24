"""What an operator watches: Prometheus metrics and the /healthz answer."""
