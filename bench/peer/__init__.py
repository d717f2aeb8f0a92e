"""The plain peer of the transition benchmark: a bare django-fsm-2 model with
django-simple-history, installed only by ``bench.settings``."""
