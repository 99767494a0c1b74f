"""The single-owner worker thread: plumbing tests with plain Python objects
(the real llama.cpp use is covered in test_llm_llama_cpp.py)."""

from __future__ import annotations

import threading
import time

import pytest

from clm_lsp.llm.base import ModelError
from clm_lsp.llm.cancel import Cancelled, CancelToken
from clm_lsp.llm.worker import ModelWorker


class Counter:
    """Records which thread touches it: it must always be the worker's."""

    def __init__(self) -> None:
        self.threads: set[str] = {threading.current_thread().name}
        self.closed = False

    def count(self, n: int, stop: threading.Event, produced: list[int]):
        for i in range(n):
            self.threads.add(threading.current_thread().name)
            produced.append(i)
            time.sleep(0.005)
            yield i

    def close(self) -> None:
        self.closed = True


def _describe(exc: BaseException) -> ModelError:
    return ModelError(f"wrapped: {exc}")


@pytest.fixture()
def worker():
    w = ModelWorker(Counter, name="test-worker", describe_error=_describe)
    yield w
    w.close()


def test_object_is_only_touched_by_the_worker_thread(worker):
    produced: list[int] = []
    assert list(worker.stream(lambda obj, stop: obj.count(5, stop, produced))) == [0, 1, 2, 3, 4]
    assert worker.call(lambda obj: obj.threads) == {"test-worker"}


def test_cancel_stops_the_producer_within_a_step(worker):
    produced: list[int] = []
    cancel = CancelToken()
    got = []
    for item in worker.stream(lambda obj, stop: obj.count(1000, stop, produced), cancel):
        got.append(item)
        if len(got) == 3:
            cancel.cancel()
    assert got == [0, 1, 2]
    worker.call(lambda obj: None)  # waits until the cancelled job has finished
    assert len(produced) <= 5


def test_abandoning_the_iterator_stops_the_producer(worker):
    produced: list[int] = []
    stream = worker.stream(lambda obj, stop: obj.count(1000, stop, produced))
    next(stream)
    stream.close()
    worker.call(lambda obj: None)
    assert len(produced) <= 3


def test_job_cancelled_while_queued_never_runs(worker):
    produced: list[int] = []
    busy = worker.stream(lambda obj, stop: obj.count(40, stop, produced))
    next(busy)  # the worker is now busy with the first job
    cancel = CancelToken()
    cancel.cancel()
    queued_ran = []
    assert list(worker.stream(lambda obj, stop: iter(queued_ran.append(1) or [1]), cancel)) == []
    assert list(busy) == list(range(1, 40))
    worker.call(lambda obj: None)
    assert queued_ran == []


def test_errors_reach_the_caller_as_model_errors(worker):
    def boom(obj, stop):
        yield 1
        raise RuntimeError("kaput")

    with pytest.raises(ModelError, match="wrapped: kaput"):
        list(worker.stream(boom))
    assert worker.call(lambda obj: 42) == 42  # the worker survives


def test_load_failure_is_a_model_error():
    def fail() -> Counter:
        raise OSError("no such model")

    with pytest.raises(ModelError, match="wrapped: no such model"):
        ModelWorker(fail, name="failing", describe_error=_describe)


def test_close_frees_the_object_on_its_thread():
    w = ModelWorker(Counter, name="closing", describe_error=_describe)
    obj = w.call(lambda o: o)
    w.close()
    w.close()
    assert obj.closed
    with pytest.raises(ModelError, match="closed"):
        w.call(lambda o: 1)


def test_cancel_token():
    token = CancelToken()
    token.check()
    assert not token.cancelled
    assert not token.wait(0.01)
    threading.Timer(0.05, token.cancel).start()
    assert token.wait(5)
    assert token.cancelled
    with pytest.raises(Cancelled):
        token.check()
