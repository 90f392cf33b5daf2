"""Where each queued photo's result is saved: the queue's names planned once, not once a photo.

A photo's result name depends on the readable photos before it in the queue (the first to
reach a name keeps it; a later one is numbered: two IMG_0001.jpg from different folders
saved into one folder give IMG_0001_color.jpg and IMG_0001_color-2.jpg), and no result may
replace an original anywhere in the queue (then every photo is planned on its own, as if
alone). `engine.batch.OutputPlanner` plans inputs in order; this keeps one for the queue.

The names are kept while the queue only grows at its end: a photo added there is planned on
its own. Anything that moves or drops earlier photos (removing, reordering, a photo found
unreadable or made readable again by Retry) or another Saving choice plans them again from
the first photo, at the next look-up. Before (issue 14) the whole queue was planned again for
every photo a batch started: O(n^2) for a batch, minutes for some thousands of photos.

No Qt here: the controller tells it when rows are inserted, removed or moved.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from engine.batch import BatchSettings, InputFile, Job, OutputPlanner, check_output_settings, plan_jobs
from engine.errors import OutputWouldReplaceInput

if TYPE_CHECKING:
    from colorizer_gui.workspace.photo_queue import PhotoItem


class Rows(Protocol):
    """The queue as this reads it (QueueModel): its length and a row's photo."""

    def __len__(self) -> int: ...

    def item(self, row: int) -> PhotoItem: ...


class OutputPlan:
    def __init__(self) -> None:
        self._planner: OutputPlanner | None = None
        self._settings_key: tuple | None = None
        self._rows = 0                       # queue rows planned so far, readable or not
        self._jobs: dict[Path, Job] = {}     # a photo's path -> its job (the first, as before)
        self._owners: dict[Path, list[int]] = {}   # a path -> the ids of the photos planned with it
        self._clash = False                  # some result would replace an original in the queue

    def forget(self) -> None:
        """Plan again from the first photo at the next look-up (earlier rows changed)."""
        self._planner = None

    def rows_inserted(self, first: int) -> None:
        """Rows were inserted at `first`: at the end, they are planned on their own."""
        if first < self._rows:
            self.forget()

    def withdraw(self, item: PhotoItem) -> None:
        """`item` was found unreadable: it claims no name now, and the photos after it keep theirs
        unless one was numbered past its name (then all are planned again)."""
        if self._planner is None:
            return
        owners = self._owners.get(item.path, [])
        if not self._clash and item.id not in owners:
            return   # not planned yet: catching up passes over an unreadable photo
        # A clash may be this photo's (its result would have replaced an original, or one
        # another's), and a shared path or a later photo numbered past its name needs a re-plan.
        if self._clash or len(owners) > 1 or not self._planner.withdraw(self._jobs[item.path]):
            self.forget()
            return
        del self._jobs[item.path], self._owners[item.path]

    def job_for(self, item: PhotoItem, settings: BatchSettings, queue: Rows) -> Job:
        """Where `item`'s result goes: a fresh Job, planned with the whole queue so no names meet.

        Raises UsageError (settings no photo can use, or OutputWouldReplaceInput for this one).
        """
        check_output_settings(settings)
        self._catch_up(settings, queue)
        job = None if self._clash else self._jobs.get(item.path)
        if job is not None:
            return replace(job)   # a copy: the caller adds hints, or sends a re-run to its old file
        # Not planned with the queue (a clash somewhere in it, or not a queue photo): on its own.
        try:
            return plan_jobs([self._input(item, settings)], settings)[0]
        except OutputWouldReplaceInput as exc:
            raise OutputWouldReplaceInput("its result would replace the original photo; add a name ending, "
                                          "or choose another format or folder under Saving") from exc

    def _catch_up(self, settings: BatchSettings, queue: Rows) -> None:
        key = (settings.output_dir, settings.suffix, settings.format)
        if self._planner is None or key != self._settings_key or self._rows > len(queue):
            self._planner, self._settings_key = OutputPlanner(settings), key
            self._rows, self._jobs, self._owners, self._clash = 0, {}, {}, False
        added = [queue.item(row) for row in range(self._rows, len(queue))]
        self._rows = len(queue)
        added = [i for i in added if i.readable]
        if self._clash or not added:
            return
        try:
            self._planner.add_inputs(i.path for i in added)
            for i in added:
                self._jobs.setdefault(i.path, self._planner.plan(self._input(i, settings)))
                self._owners.setdefault(i.path, []).append(i.id)
        except OutputWouldReplaceInput:
            self._clash = True

    @staticmethod
    def _input(item: PhotoItem, settings: BatchSettings) -> InputFile:
        # The folder it was dropped in is mirrored only under an output folder.
        return InputFile(item.path, item.root if settings.output_dir is not None else None)
