"""Long commands say how far they are (units.Eta), and llama.cpp's own log shows only with --verbose."""

from __future__ import annotations

import logging

from orbench.units import Eta


def test_eta_reports_share_and_time_left():
    eta = Eta("kld", 4, "chunks", every=3600)
    assert eta.tick() is None  # throttled
    assert eta.line(10.0) == "kld: 1/4 chunks (25%), 0m10s so far, about 0m30s left"
    eta.done = 3
    assert eta.tick() == eta.line(eta.last - eta.started)  # the last step always reports
    assert "left" not in eta.line(40.0) and "4/4 chunks (100%)" in eta.line(40.0)


def test_llama_cpp_log_follows_verbose():
    from orbench import llama

    ours, theirs = logging.getLogger("orbench"), logging.getLogger("llama-cpp-python")
    saved = ours.level
    try:
        ours.setLevel(logging.INFO)
        llama._lib()
        assert theirs.level == logging.ERROR
        ours.setLevel(logging.DEBUG)
        llama._lib()
        assert theirs.level == logging.DEBUG
    finally:
        ours.setLevel(saved)
        llama._lib()

