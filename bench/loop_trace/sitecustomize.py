"""Where the event loop's time goes, for load runs: put this folder on PYTHONPATH.

    PYTHONPATH=bench/loop_trace CLM_LOOP_TRACE=/tmp/trace CLM_LOOP_TRACE_MS=50 \\
        .venv/bin/python bench/load.py --only workspace,burst --files 2000 --events 1000
    sort -k2 -n -r /tmp/trace.<pid> | head     # the server's longest stretches

Every process started with it (the bench and the servers it spawns) appends to
``$CLM_LOOP_TRACE.<pid>``, one line per event longer than ``CLM_LOOP_TRACE_MS`` (50):
seconds since start, milliseconds, then what ran:
- ``task ...``: one step of an asyncio task, with the chain of coroutines it was awaiting;
- ``cb ...``: a plain loop callback;
- ``handle_message <method> id=...``: a JSON-RPC message handled by pygls (a sync handler
  runs inside it: its time is the request's loop time);
- ``GC genN``: a collection on the loop's thread;
- with ``CLM_GIL_PROBE=1``: ``GIL-WAIT``, a thread that slept 5 ms woke that much later, with the
  frame every other thread was in (a C extension holding the GIL, or an oversubscribed CPU).
asyncio's own slow-callback log needs debug mode, which slows everything; this does not.
Measurement only: nothing in clm_lsp imports it.
"""

import os

_path = os.environ.get("CLM_LOOP_TRACE")
if _path:
    import asyncio.events
    import gc
    import sys
    import threading
    import time

    _min = float(os.environ.get("CLM_LOOP_TRACE_MS", "50")) / 1000
    _out = open(f"{_path}.{os.getpid()}", "a", buffering=1)  # noqa: SIM115 - lives as long as the process
    _orig_run = asyncio.events.Handle._run
    _t0 = time.perf_counter()
    _patched = [False]

    def _what(handle):
        cb = handle._callback
        task = getattr(cb, "__self__", None)
        if isinstance(task, asyncio.Task):
            chain, c = [], task.get_coro()
            while c is not None and len(chain) < 8:
                frame = getattr(c, "cr_frame", None) or getattr(c, "gi_frame", None)
                chain.append(f"{getattr(c, '__qualname__', type(c).__name__)}:{frame.f_lineno if frame else '-'}")
                c = getattr(c, "cr_await", None) or getattr(c, "gi_yieldfrom", None)
            return "task " + " > ".join(chain)
        return f"cb {getattr(cb, '__qualname__', repr(cb))} {repr(handle._args)[:160]}"

    def _patch_pygls():
        mod = sys.modules.get("pygls.protocol.json_rpc")
        if mod is None:
            return
        _patched[0] = True
        orig = mod.JsonRPCProtocol.handle_message

        def handle_message(self, message):
            t = time.perf_counter()
            try:
                return orig(self, message)
            finally:
                d = time.perf_counter() - t
                if d >= _min:
                    what = f"{getattr(message, 'method', None)} id={getattr(message, 'id', None)}"
                    _out.write(f"{t - _t0:9.3f} {d * 1000:8.1f} ms   handle_message {what}\n")

        mod.JsonRPCProtocol.handle_message = handle_message

    def _run(self):
        if not _patched[0]:
            _patch_pygls()
        what = _what(self)
        t = time.perf_counter()
        try:
            return _orig_run(self)
        finally:
            d = time.perf_counter() - t
            if d >= _min:
                _out.write(f"{t - _t0:9.3f} {d * 1000:8.1f} ms {what}\n")

    asyncio.events.Handle._run = _run
    _gc_start = [0.0]

    def _gc(phase, info):
        if threading.current_thread() is not threading.main_thread():
            return
        if phase == "start":
            _gc_start[0] = time.perf_counter()
            return
        d = time.perf_counter() - _gc_start[0]
        if d >= _min / 5:
            _out.write(f"{_gc_start[0] - _t0:9.3f} {d * 1000:8.1f} ms GC gen{info['generation']} collected {info['collected']}\n")

    gc.callbacks.append(_gc)

    def _gil_probe():
        while True:
            t = time.perf_counter()
            time.sleep(0.005)
            d = time.perf_counter() - t - 0.005
            if d < _min:
                continue
            names = {th.ident: th.name for th in threading.enumerate()}
            tops = []
            for tid, frame in sys._current_frames().items():
                if tid != threading.get_ident():
                    back = frame.f_back.f_code.co_name if frame.f_back else ""
                    tops.append(f"{names.get(tid, tid)}@{frame.f_code.co_name}:{frame.f_lineno}<{back}")
            _out.write(f"{t - _t0:9.3f} {d * 1000:8.1f} ms   GIL-WAIT {' | '.join(tops)[:600]}\n")

    if os.environ.get("CLM_GIL_PROBE"):
        threading.Thread(target=_gil_probe, name="gil-probe", daemon=True).start()
