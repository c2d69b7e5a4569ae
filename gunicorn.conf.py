"""gunicorn reads this from its working directory (the image's /app, the demo, the stack test)."""

# Access and error lines with the secret of webhook URLs masked.
logger_class = "production.sync.access_log.GunicornLogger"
