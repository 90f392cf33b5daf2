"""Bundle entry point of the desktop app: `colorizer`, `colorizer --self-test`, and the fine-tuning child.

A frozen app has no `python -m`, so engine.finetune.worker_command() starts the fine-tuning
worker as `colorizer --finetune-worker ...`; that is dispatched here, before any Qt is loaded.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # in case a worker process is ever started with multiprocessing
    if len(sys.argv) > 1 and sys.argv[1] == "--finetune-worker":
        from engine.finetune_worker import main as worker_main

        sys.exit(worker_main(sys.argv[2:]))
    from colorizer_gui.app import main

    sys.exit(main())
