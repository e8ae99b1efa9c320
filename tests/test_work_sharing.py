"""Work shared out between this process and a helper: every item done once, the helper used once it is ready, started
ahead when the caller knows work is coming, and set up for allocation-heavy work."""
from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import time

import pytest

from pipeline.gc_policy import YOUNG_THRESHOLD
from pipeline.processes import is_alive
from pipeline.work_sharing import helper_processes, lend_helpers, share_out, share_out_in_order


def where_done(item: int) -> tuple[int, int]:
    """The item and the process that did it; this test's process is slow, so that the helper gets its share."""
    if os.getpid() == PARENT:
        time.sleep(0.3)
    return item, os.getpid()


def young_threshold(_item: int) -> tuple[int, int]:
    """The collector's young-generation threshold where the item was done, and that process."""
    if os.getpid() == PARENT:
        time.sleep(0.3)
    return gc.get_threshold()[0], os.getpid()


def fail_on_three(item: int) -> int:
    if item == 3:
        raise ValueError("item 3")
    return item


def ended_within(seconds: float, pids: list[int]) -> bool:
    """Whether every process of PIDS has ended (a zombie has) within SECONDS, read from /proc: the pool's own
    thread reaps its helpers too, and a Process whose end another thread reaped still says it is alive."""
    deadline = time.monotonic() + seconds
    while any(is_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# a helper imports this module too, and learns the pid of the process that spawned it from the inherited environment
PARENT = int(os.environ.setdefault("WORK_SHARING_TEST_PARENT", str(os.getpid())))


def test_every_item_is_done_once_by_this_process_or_its_helper():
    done = list(share_out(list(range(20)), where_done, processes=2))

    assert sorted(index for index, _ in done) == list(range(20))
    assert all(result[0] == index for index, result in done)
    processes = {pid for _, (_, pid) in done}
    assert os.getpid() in processes, "this process works too, while the helper starts"
    assert len(processes) == 2, "the helper takes items once it has imported"


def test_one_process_does_everything_in_order_here():
    done = list(share_out([5, 6, 7], where_done, processes=1))

    assert [index for index, _ in done] == [0, 1, 2]
    assert {pid for _, (_, pid) in done} == {os.getpid()}


def test_an_error_of_one_item_ends_the_sharing():
    with pytest.raises(ValueError, match="item 3"):
        list(share_out(list(range(8)), fail_on_three, processes=2))


def test_results_in_order_whoever_did_them():
    assert [item for item, _ in share_out_in_order(list(range(10)), where_done, processes=2)] == list(range(10))


def drawn_into(drawn: list[int], count: int):
    """0 … COUNT - 1, each noted in DRAWN when it is drawn."""
    for item in range(count):
        drawn.append(item)
        yield item


def test_an_iterators_items_are_drawn_a_few_ahead_of_their_work():
    drawn: list[int] = []
    seen_when_done = {}
    for index, (item, _) in share_out(drawn_into(drawn, 12), where_done, processes=2):
        assert index == item
        seen_when_done[item] = len(drawn)

    assert sorted(seen_when_done) == list(range(12)), "every item done once"
    # what makes an item (the next establishment's plan) runs while earlier ones are worked on, not all first
    assert min(seen_when_done.values()) < 12
    assert all(seen_when_done[item] <= item + 1 + 2 * 2 + 1 + 2 for item in range(12))


def test_an_iterator_shared_by_one_process_is_drawn_as_it_goes():
    drawn: list[int] = []
    done = [(index, len(drawn)) for index, _ in share_out(drawn_into(drawn, 4), str, processes=1)]

    assert [index for index, _ in done] == [0, 1, 2, 3]
    assert all(drawn_then <= index + 2 for index, drawn_then in done), done  # never all drawn first


def test_helpers_and_this_process_collect_garbage_rarely_during_the_work():
    before = gc.get_threshold()
    done = share_out_in_order(list(range(12)), young_threshold, processes=2)

    assert {threshold for threshold, _ in done} == {YOUNG_THRESHOLD}
    assert len({pid for _, pid in done}) == 2
    assert gc.get_threshold() == before, "this process's own setting is restored once its share is done"


def test_a_helper_started_ahead_imports_meanwhile_and_takes_its_share():
    with helper_processes(1, __name__) as helpers:
        spawned_ahead = {process.pid for process in helpers.processes}
        time.sleep(2)  # this process's own start (the survey of the inbox): the helper imports meanwhile
        started = time.perf_counter()
        done = list(share_out(list(range(6)), where_done, processes=2, helpers=helpers))
        elapsed = time.perf_counter() - started
        again = list(share_out(list(range(6)), where_done, processes=2, helpers=helpers))

    helpers_used = {pid for _, (_, pid) in done + again} - {os.getpid()}
    assert helpers_used and helpers_used <= spawned_ahead, "the work went to the helper spawned ahead, not to a new one"
    # ready from the first item: this process (0.3 s an item) did not do most of them while a helper started
    assert sum(pid == os.getpid() for _, (_, pid) in done) <= 3, elapsed
    assert ended_within(5, [process.pid for process in helpers.processes]), "stopped on the way out"


def test_an_error_on_helpers_started_ahead_ends_the_sharing_and_leaves_them_to_their_owner():
    with helper_processes(1, __name__) as helpers:
        with pytest.raises(ValueError, match="item 3"):
            list(share_out(list(range(8)), fail_on_three, processes=2, helpers=helpers))
        assert [item for item, _ in share_out_in_order([1, 2], where_done, processes=2, helpers=helpers)] == [1, 2]


def test_a_helper_started_ahead_and_never_used_is_stopped_without_waiting_for_its_import(tmp_path, monkeypatch):
    (tmp_path / "slow_to_import.py").write_text("import time\ntime.sleep(30)\n")
    monkeypatch.syspath_prepend(str(tmp_path))  # spawned helpers get this process's sys.path
    started = time.perf_counter()
    with helper_processes(1, "slow_to_import") as helpers:
        [helper] = helpers.processes
        time.sleep(0.5)  # a small run: nothing for the helper after all
    assert ended_within(5, [helper.pid]) and time.perf_counter() - started < 5
    assert "slow_to_import" not in sys.modules


def test_no_helper_when_there_is_no_other_process_to_use():
    before = set(multiprocessing.active_children())
    with helper_processes(0, __name__) as helpers:
        assert helpers is None and set(multiprocessing.active_children()) == before


def test_helpers_lent_for_rounds_serve_every_round_without_a_new_pool():
    """The nightly's attestations: one round per establishment, each deep inside a subflow; the helpers started once
    for all of them, not a new pool (and its imports) per round."""
    before = set(multiprocessing.active_children())
    with lend_helpers(1, __name__):
        [lent] = set(multiprocessing.active_children()) - before
        rounds = [share_out_in_order(list(range(6)), where_done, processes=2) for _ in range(3)]
        during = set(multiprocessing.active_children()) - before

    helpers_used = [{pid for _, pid in done} - {os.getpid()} for done in rounds]
    # the first round may be done here alone while the helper imports; the last one has it ready
    assert set().union(*helpers_used) == helpers_used[-1] == {lent.pid}, helpers_used
    assert during == {lent}
    assert ended_within(5, [lent.pid]), "stopped on the way out"


def test_the_helpers_the_ingest_command_starts_ahead_are_those_its_load_uses():
    """`pix-livret ingest` lends helpers for the load's work before it imports Prefect; named by a string (importing
    the module would cost the head start), so a renamed module must rename it too."""
    from pipeline.ingest import ingest_batch
    from pix_livret.cli import INGEST_WORK

    assert ingest_batch.__module__ == INGEST_WORK


def test_a_helper_ends_when_the_command_that_started_it_is_killed(tmp_path):
    """`pix-livret ingest` spawns its helpers first thing; killed (SIGKILL, the OOM killer), it must not leave them
    waiting for work forever."""
    import signal
    import subprocess

    command = subprocess.Popen([sys.executable, "-c", (
        "import multiprocessing, time\n"
        "from pipeline.work_sharing import lend_helpers\n"
        "if __name__ == '__main__':\n"
        "    with lend_helpers(1, 'json'):\n"
        "        print(*(p.pid for p in multiprocessing.active_children()), flush=True)\n"
        "        time.sleep(60)\n")], stdout=subprocess.PIPE, text=True, cwd=tmp_path,
        env=os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)})
    [helper] = [int(pid) for pid in command.stdout.readline().split()]
    time.sleep(1)  # the helper has started, and imported
    assert is_alive(helper)

    command.send_signal(signal.SIGKILL)
    command.wait()

    assert ended_within(5, [helper]), "the helper outlived the command"
