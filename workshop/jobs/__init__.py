"""Background jobs (SPEC §5): the Job record clients see, run by Celery workers."""
