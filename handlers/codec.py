"""The one codec for button data: `1:<action>:<int>:<int>...`, at most 64 bytes, versioned.

The leading `1` is the format version: bumping it retires every button drawn before. Arguments are
non-negative integers only (ids, versions, indexes), so data cannot smuggle text, and each action
declares how many it takes. Decoding never trusts a button: the server re-checks every press.
"""

from __future__ import annotations

from dataclasses import dataclass

VERSION = "1"
MAX_BYTES = 64
MAX_INT = 2**53

# action code -> number of integer arguments
ACTIONS: dict[str, int] = {
    "mn": 0,  # main menu
    "tg": 0,  # my tasks
    "st": 0,  # status
    "hp": 0,  # help
    "mv": 0,  # move to the other chat app
    "cx": 0,  # cancel pending input
    "op": 1,  # open case panel (case)
    "rn": 0,  # new round
    "rt": 1,  # toggle OPD in the new round (opd)
    "ra": 0,  # all OPDs
    "rc": 0,  # create the round
    "sc": 1,  # six-monthly rounds: 0 show, 1 switch on, 2 switch off
    "ea": 1,  # add entry (case)
    "ec": 1,  # category for the entry being written (category index)
    "ee": 1,  # entry detail / edit menu (entry)
    "ef": 2,  # edit a field of an entry (entry, field index)
    "ex": 2,  # remove entry (entry, case version)
    "dr": 2,  # attach the draft list as a file (case, version)
    "s1": 2,  # step 1: send to PPID Utama (case, version)
    "a2": 2,  # step 2: approve (case, version)
    "r2": 2,  # step 2: return (case, version)
    "dt": 1,  # details of a case, entries and documents (case)
    "k2": 2,  # step 2: correct a category: choose entry (case, version)
    "kc": 3,  # step 2: set category (entry, category index, case version)
    "e3": 1,  # step 3: open an entry (entry)
    "fu": 1,  # step 3: send files for the entry (entry)
    "nh": 1,  # step 3: not held (entry)
    "xp": 1,  # step 3: propose exempt (entry)
    "s3": 2,  # step 3: send to PPID Utama (case, version)
    "xd": 2,  # step 3: remove a document of my entry (document, case version)
    "a4": 2,  # step 4: approve all (case, version)
    "r4": 2,  # step 4: choose entries to return (case, version)
    "t4": 2,  # step 4: toggle an entry to return (case, entry)
    "c4": 2,  # step 4: confirm the return (case, version)
    "k4": 2,  # step 4: keep or reject the documents of an entry being returned (case, entry)
    "jd": 2,  # step 4: reject one document (document, case version)
    "xe": 2,  # expiring exemption: extend (entry, end date as an ordinal)
    "xo": 2,  # expiring exemption: open, choose the category (entry, end date ordinal)
    "xk": 3,  # expiring exemption: open as this category (entry, category index, end date ordinal)
    "rp": 3,  # step 4: return an entry for personal data in one tap (case, entry, version)
    "dc": 1,  # send an entry's documents (entry)
    "u5": 1,  # step 5: record the publication URL of an entry (entry)
    "ua": 2,  # step 5: one URL for every remaining entry (case, version)
    "p5": 2,  # step 5: close the case as published (case, version)
    "im": 2,  # step 1: import the valid rows of an attached template (case, version)
    "wd": 1,  # PPID Utama: withdraw a published entry (entry)
    "iv": 1,  # admin: invite a role (role index)
    "io": 2,  # admin: invite a PPID Pendukung of an OPD (role index, opd)
    "nb": 2,  # another page of a bundle of notices (bundle, page)
    "on": 1,  # open in full a notice sent in short, as a template (outbox row)
    "ur": 1,  # admin: try a person who could not be reached again (user)
    "ud": 1,  # admin: deactivate a person who could not be reached (user)
    "ab": 0,  # absences: mine (an admin: everyone's)
    "ap": 0,  # absences, admin: pick whose absence to record
    "aa": 1,  # absences: record one for this person (user)
    "au": 0,  # absences, admin: no end date (a Plt for a vacancy)
    "as": 1,  # absences: the chosen stand-in (user; 0 none)
    "ae": 1,  # absences: end one now, or withdraw it (absence)
}

# What the first argument of an action names, for the router: the case a refused press aimed at
# is recorded with the refusal (`audit --case N`), and decides what the refusal may reveal.
TARGETS: dict[str, str] = {
    **dict.fromkeys(("op", "ea", "dr", "s1", "a2", "r2", "dt", "k2", "s3", "a4", "r4", "t4",
                     "c4", "ua", "p5", "im", "k4", "rp"), "case"),
    **dict.fromkeys(("ee", "ef", "ex", "kc", "e3", "fu", "nh", "xp", "dc", "u5", "wd",
                     "xe", "xo", "xk"), "entry"),
    **dict.fromkeys(("xd", "jd"), "document"),
}  # fmt: skip


@dataclass(frozen=True)
class Press:
    action: str
    args: tuple[int, ...]


class BadButton(ValueError):
    """Data that no button of this bot could have carried (forged, truncated or retired)."""


def encode(action: str, *args: int) -> str:
    if ACTIONS.get(action) != len(args):
        raise ValueError(f"action {action!r} takes {ACTIONS.get(action)} arguments, got {args}")
    if any(not 0 <= a < MAX_INT for a in args):
        raise ValueError(f"arguments out of range: {args}")
    data = ":".join([VERSION, action, *map(str, args)])
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"button data over {MAX_BYTES} bytes: {data}")
    return data


def decode(data: str | None) -> Press:
    if not data or len(data.encode("utf-8", "replace")) > MAX_BYTES:
        raise BadButton("empty or too long")
    parts = data.split(":")
    if parts[0] != VERSION:
        raise BadButton("unknown version")
    if len(parts) < 2 or parts[1] not in ACTIONS:
        raise BadButton("unknown action")
    action, raw = parts[1], parts[2:]
    if len(raw) != ACTIONS[action]:
        raise BadButton("wrong number of arguments")
    if not all(r.isascii() and r.isdigit() and len(r) <= 16 for r in raw):
        raise BadButton("arguments are not numbers")
    args = tuple(int(r) for r in raw)
    if any(a >= MAX_INT for a in args):
        raise BadButton("argument out of range")
    return Press(action, args)
