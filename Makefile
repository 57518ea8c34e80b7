# The two commands of the README, and a few more for developers.
.PHONY: run test bench lint

run:  ## install what is missing, then start iOPS with demo data on http://127.0.0.1:8000
	@scripts/setup
	@.venv/bin/iops run

test:  ## install what is missing, then run every check and test, browser tests included
	@scripts/test

bench:  ## run the benchmarks in bench/ and print figures with pass/fail
	@scripts/setup
	@.venv/bin/python -m bench

lint:
	@.venv/bin/ruff check --fix src tests bench && .venv/bin/ruff format src tests bench
