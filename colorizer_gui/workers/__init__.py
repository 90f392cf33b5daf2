"""Background work, one way everywhere.

- `create_worker(fn, *args)` runs a generator function (or a plain one) on a thread pool. Each
  `yield` becomes the worker's `yielded` signal on the UI thread, the return value `returned`, an
  exception `errored`; `quit()` takes effect at the next yield and ends with `aborted`.
- `LatestOnly` runs one such task at a time for one view; a newer request replaces the one
  waiting, and results of requests that were replaced or discarded are marked stale.
- `Debounced(fn, delay_ms)` calls `fn` once the requests stop for `delay_ms` (saving settings,
  the full-size render after a slider drag, the fine-tune time estimate).

The shape is superqt's (`superqt.utils.create_worker`, `GeneratorWorker`). It is our own small
copy because the app is PySide6-only: superqt goes through qtpy, which picks a Qt binding at import
time by probing for four, and that probe is what a frozen bundle (packaging/) should not carry; and
each view here needs its own one-thread pool, where superqt starts every worker on Qt's global pool
(as many threads as cores: two on the laptops this runs on, where a long-lived loop would take one).
"""

from colorizer_gui.workers._debounce import Debounced
from colorizer_gui.workers._generator_worker import GeneratorWorker, create_worker, wait_for
from colorizer_gui.workers._latest import LatestOnly

__all__ = ["Debounced", "GeneratorWorker", "LatestOnly", "create_worker", "wait_for"]
