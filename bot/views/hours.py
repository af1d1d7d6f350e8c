"""Replies for /hours: confirmations with Undo, the entry list with Edit/Delete, timers, help (pure builders).

Everything a person typed (descriptions, project and client names) is escaped before it goes into mrkdwn.
Messages stay within Slack's limits: at most 50 blocks; a long list pages, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.views import blocks as b
from bot.views.log_modal import safe_permalink
from bot.views.text import cut_plain, user_text
from timesheets.entries import EntryListing, Period, StoredEntry, day_label
from timesheets.grammar.durations import format_duration
from timesheets.team_entries import TeamLog
from timesheets.timers import RunningTimer, StopResult

ACTION_UNDO = "hours_undo"
ACTION_EDIT = "hours_edit"
ACTION_DELETE = "hours_delete"
ACTION_PAGE = "hours_page"  # the pager's "Next" (the id replies have always carried)
ACTION_PAGE_PREV = "hours_page_prev"  # the pager's "Previous": one block may not hold an action id twice

MESSAGE_BLOCK_LIMIT = 50
_LIST_FIXED_BLOCKS = 4  # header, summary, pager context, pager buttons
_DESCRIPTION_IN_LIST = 200

Reply = tuple[str, list[dict[str, Any]]]  # (fallback text, blocks)




def entry_sentence(entry: StoredEntry, verb: str = "Logged") -> str:
    """"Logged 2 h 30 min on Acme — Website, Tue 24 Nov: Fixed the header" (mrkdwn-escaped)."""
    sentence = f"{verb} {format_duration(entry.minutes)} on {user_text(entry.project_label)}, {entry.day}"
    return f"{sentence}: {user_text(entry.description)}" if entry.description else sentence + "."


def billing_note(entry: StoredEntry) -> str:
    if not entry.billable:
        return "Not billable"
    if entry.hourly_rate is None:
        return "Billable · no rate set yet (a manager can set one)"
    return f"Billable at {entry.formats.rate(entry.hourly_rate)}"


def logged_reply(entry: StoredEntry, verb: str = "Logged") -> Reply:
    """The confirmation of a stored entry, with an Undo button (for new entries) and the project's burn."""
    text = entry_sentence(entry, verb)
    accessory = b.button("Undo", ACTION_UNDO, str(entry.id)) if verb == "Logged" else None
    notes = [billing_note(entry)]
    if entry.burn:
        notes.append(user_text(entry.burn))
    blocks = [b.section(f":white_check_mark: {text}", accessory=accessory), b.context(" · ".join(notes))]
    if entry.burn:
        text = f"{text} ({user_text(entry.burn)})"
    return text, blocks


def removed_reply(entry: StoredEntry, verb: str) -> Reply:
    text = entry_sentence(entry, verb)
    return text, [b.section(f":wastebasket: {text}")]


def text_reply(text: str) -> Reply:
    return text, [b.section(text)]


# ---------------------------------------------------------------- the list


@dataclass(frozen=True)
class _Row:
    day_index: int
    entry: StoredEntry


def _entry_blocks(entry: StoredEntry, period: Period) -> list[dict[str, Any]]:
    parts = [f"*{format_duration(entry.minutes)}*", user_text(entry.project_label)]
    if entry.description:
        parts.append(user_text(cut_plain(entry.description, _DESCRIPTION_IN_LIST)))
    if not entry.billable:
        parts.append("_not billable_")
    if entry.invoiced:
        parts.append(":lock: invoiced")
    elif entry.approved:
        parts.append(":lock: approved")
    elif entry.closed:
        parts.append(f":lock: {entry.closed}")
    link = safe_permalink(entry.permalink)
    if link:
        parts.append(f"<{link}|:link: message>")
    blocks = [b.section(" · ".join(parts))]
    if entry.changeable:  # no buttons that would be refused
        value = f"{entry.id}|{period}"
        sentence = f"{format_duration(entry.minutes)} on {entry.project_label}, {entry.day} will be deleted."
        blocks.append(b.actions(f"entry.{entry.id}", [
            b.button("Edit", ACTION_EDIT, value),
            b.button("Delete", ACTION_DELETE, value, style="danger",
                     confirm=b.confirm("Delete this entry?", sentence, "Delete")),
        ]))
    return blocks


def _pages(listing: EntryListing) -> list[list[_Row]]:
    """Split the entries into pages that fit one message (day headers repeat on each page)."""
    budget = MESSAGE_BLOCK_LIMIT - _LIST_FIXED_BLOCKS
    pages: list[list[_Row]] = [[]]
    used = 0
    last_day: int | None = None
    for day_index, day in enumerate(listing.days):
        for entry in day.entries:
            cost = (2 if entry.changeable else 1) + (0 if last_day == day_index else 1)
            if used + cost > budget and pages[-1]:
                pages.append([])
                used = 0
                last_day = None
                cost = (2 if entry.changeable else 1) + 1
            pages[-1].append(_Row(day_index, entry))
            used += cost
            last_day = day_index
    return pages


def _title(listing: EntryListing) -> str:
    if listing.period == "today":
        return f"Today, {day_label(listing.today, listing.today, listing.formats)}"
    start, end = (day_label(day, listing.today, listing.formats) for day in (listing.start, listing.end))
    return f"This week ({start} – {end})"


def list_reply(listing: EntryListing, page: int = 0, note: str | None = None) -> Reply:
    """The ephemeral summary: per-day totals, Edit/Delete on entries not yet invoiced, paged to fit.

    `note` (already mrkdwn-safe) leads the summary line: what the last Edit/Delete did to the list.
    """
    title = _title(listing)
    lead = f"{note}\n" if note else ""
    if not listing.days:
        when = "today" if listing.period == "today" else "this week"
        text = (f"Nothing logged {when} yet. Log time with `/hours 2.5 project-code what you did`, "
                "or `/hours` for the form.")
        return text, [b.header(title), b.section(lead + text)]
    total = format_duration(listing.total_minutes)
    count = listing.entry_count
    summary = f"{lead}*{total}* in {count} {'entry' if count == 1 else 'entries'}"
    pages = _pages(listing)
    page = min(max(page, 0), len(pages) - 1)
    blocks: list[dict[str, Any]] = [b.header(title), b.context(summary)]
    last_day: int | None = None
    for row in pages[page]:
        if row.day_index != last_day:
            day = listing.days[row.day_index]
            label = day_label(day.day, listing.today, listing.formats)
            blocks.append(b.section(f"*{label}* — {format_duration(day.total_minutes)}"))
            last_day = row.day_index
        blocks.extend(_entry_blocks(row.entry, listing.period))
    if len(pages) > 1:
        first = sum(len(p) for p in pages[:page]) + 1
        last = first + len(pages[page]) - 1
        more = count - last
        note = f"Showing entries {first}–{last} of {count}"
        note += f" — and {more} more on the next page." if more else "."
        blocks.append(b.context(note))
        buttons = []
        if page > 0:
            buttons.append(b.button("Previous", ACTION_PAGE_PREV, f"{listing.period}|{page - 1}"))
        if page < len(pages) - 1:
            buttons.append(b.button(f"Next ({more} more)", ACTION_PAGE, f"{listing.period}|{page + 1}"))
        blocks.append(b.actions("hours_pager", buttons))
    return f"{title}: {total} in {count} entries", blocks


# ---------------------------------------------------------------- timers


def timer_started_reply(timer: RunningTimer) -> Reply:
    what = f": {user_text(timer.description)}" if timer.description else ""
    return text_reply(f":stopwatch: Timer started on {user_text(timer.project_label)} at "
                      f"{timer.started_local:%H:%M} your time{what}. Stop it with `/hours stop`.")


def timer_status_reply(timer: RunningTimer | None) -> Reply:
    if timer is None:
        return text_reply("No timer running. Start one with `/hours start project-code what you're doing`.")
    what = f": {user_text(timer.description)}" if timer.description else ""
    return text_reply(f":stopwatch: Timer running on {user_text(timer.project_label)} for {timer.elapsed_text} "
                      f"(since {timer.formats.weekday_name(timer.started_local.date())} {timer.started_local:%H:%M} "
                      f"your time){what}. Stop it with `/hours stop`.")


def timer_stopped_reply(result: StopResult) -> Reply:
    timer = result.timer
    if result.entry is not None:
        return logged_reply(result.entry)
    if result.too_long:
        return text_reply(
            f":warning: Your timer on {user_text(timer.project_label)} ran for {timer.elapsed_text} — more than one "
            "entry can hold (24 h). I stopped it without logging anything; the Log time form is open so you can "
            "log the real time."
        )
    if timer.elapsed_seconds < 30:
        return text_reply(f"Timer stopped after {timer.elapsed_seconds} s — under a minute, so nothing was logged.")
    return text_reply(f"Timer on {user_text(timer.project_label)} discarded after {timer.elapsed_text}; "
                      "nothing was logged.")


NO_TIMER = "No timer is running. Start one with `/hours start project-code what you're doing`."


# ---------------------------------------------------------------- help

def help_text(day_first: bool = True) -> str:
    day_month = "`24/11` (day/month)" if day_first else "`11/24` (month/day)"
    return "\n".join([
        "*Log time with /hours* — every reply is only visible to you.",
        "• `/hours` — open the Log time form",
        "• `/hours 2.5 acme-web Fixed the header` — 2 h 30 min on project acme-web, today",
        "• `/hours 1h30m acme-web yesterday Review` — durations like `2`, `2,5`, `1:30`, `90m`, `45 min`; "
        "a bare number means hours",
        f"• Dates: `today`, `yesterday`, a weekday (`mon`: the most recent one), `2024-11-24`, or {day_month}",
        "• Project: its code, or the start of its name; in a channel linked to a project you can leave it out",
        "• `/hours list` or `/hours week` — this week's entries, with Edit and Delete · `/hours today` — today's",
        "• `/hours start acme-web Research` · `/hours stop` · `/hours status` — one timer at a time; "
        "`/hours stop discard` drops it",
        "• `/hours 1 standup @alice @bob` — the same entry for each person named, each told by DM (managers; "
        "`@me` counts you in)",
        "• `/hours remind` — your missing-time reminders: `remind off`, `remind on`, `remind at 18:30`, "
        "`remind days mon-thu`",
        "• `/hours invoice` — create an invoice (managers)",
        "Each entry is 1 minute to 24 hours, and a day holds at most 24 h. Invoiced entries can't be changed.",
    ])


def help_reply(day_first: bool = True) -> Reply:
    return text_reply(help_text(day_first))



# ---------------------------------------------------------------- one entry for several people

_PEOPLE_LISTED = 40  # one line each; line_sections keeps the reply within a message's limits


def team_log_reply(result: TeamLog) -> Reply:
    """What `/hours 1 standup @alice @bob` stored, for whom, and who was skipped and why."""
    lines = [f":white_check_mark: {user_text(person.name)}: {format_duration(person.entry.minutes)} on "
             f"{user_text(person.entry.project_label)}, {person.entry.day} · {billing_note(person.entry)}"
             for person in result.stored]
    lines += [f":no_entry_sign: {user_text(skip.name)} skipped: {user_text(skip.reason)}" for skip in result.skipped]
    stored = len(result.stored)
    head = f"Logged for {stored} {'person' if stored == 1 else 'people'}"
    if result.stored:
        first = result.stored[0].entry
        what = f": {user_text(first.description)}" if first.description else ""
        head += f" — {format_duration(first.minutes)} on {user_text(first.project_label)}{what}"
    if result.skipped:
        head += f"; {len(result.skipped)} skipped"
    if result.stored:
        lines.append("Each person was told by DM and can undo their own entry.")
    blocks = [b.section(head), *b.line_sections(lines, max_sections=_PEOPLE_LISTED, what="people")]
    return head, blocks


def logged_for_message(entry: StoredEntry, by_name: str) -> Reply:
    """The DM to someone an entry was logged for, with Undo."""
    text = f"{user_text(by_name)} logged time for you — {entry_sentence(entry)}"
    blocks = [b.section(f":information_source: {text}", accessory=b.button("Undo", ACTION_UNDO, str(entry.id))),
              b.context(billing_note(entry))]
    return text, blocks
