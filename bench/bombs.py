"""How fast the program bombs of tests/app/test_programs_hostile.py are refused, against a real server.

Run: .venv/bin/python bench/bombs.py [--repeat N]
Prints, for each bomb, the median and worst time to the 422 (ms), the budget it ran into and where.
The tests assert that each refusal comes from a budget check; these are the times to quote.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import running_server  # noqa: E402
from tests.app.test_programs_hostile import BOMBS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with running_server() as (base, _), httpx.Client(base_url=base, timeout=60) as client:
        client.post("/api/graph", json={"source": "a = 2\nb = a * a"})  # start the sandbox workers
        print(f"{'bomb':<40}{'median':>9}{'worst':>9}   answer")
        for name, source in BOMBS:
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                # a comment makes each request new, so none is answered from the response cache
                response = client.post("/api/graph", json={"source": f"{source}# {len(times)}\n", "layout": False})
                times.append(time.perf_counter() - start)
            error = response.json().get("error", {})
            answer = f"{response.status_code} {error.get('kind')} at {error.get('line')}:{error.get('col')}: " \
                     f"{error.get('message', '')[:70]}"
            print(f"{name:<40}{statistics.median(times) * 1000:>9.1f}{max(times) * 1000:>9.1f}   {answer}")


if __name__ == "__main__":
    main()
