"""The apply's garbage-collection setting is process-wide: two applies at once must not undo each other's."""

from __future__ import annotations

import gc

from episerver_assets.defs.exports.apply_run import fewer_full_collections


def test_the_collection_setting_lasts_until_the_last_of_two_overlapping_applies_ends():
    before = gc.get_threshold()
    try:
        fewer_full_collections.__enter__()  # apply A starts
        raised = gc.get_threshold()
        assert raised[2] == 10 * before[2] and gc.get_freeze_count() > 0
        fewer_full_collections.__enter__()  # apply B starts
        assert gc.get_threshold() == raised  # not raised twice
        fewer_full_collections.__exit__(None, None, None)  # A ends while B runs
        assert gc.get_threshold() == raised and gc.get_freeze_count() > 0
        fewer_full_collections.__exit__(None, None, None)  # B ends
        assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
