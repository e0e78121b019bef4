"""/import (/importera): a lead brings the caseload in from a spreadsheet in the chat.

/import sends the template workbook. A file (XLSX or CSV) sent as a document is checked
as `koordinator import participants --dry-run` would (storage.importing): the summary and
the first errors, and when every row is good a one-step flow asks to confirm with an
"Import N participants" button (the file's id waits in the flow's draft); confirmed, the
file is read again and stored whole (or nothing, if it no longer checks out).
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram.ext import Application
from telegram.ext import MessageHandler
from telegram.ext import filters as ptb_filters

from bot.documents.import_template import template_workbook
from bot.interaction.buttons import retire
from bot.text.i18n import SafeHtml
from bot.text.import_text import file_error_text
from bot.text.import_text import plan_summary
from bot.text.import_text import row_error_text
from bot.text.render import error_text
from bot.text.vocabulary import IMPORT_VOCABULARY
from handlers.kit.base import Audience
from handlers.kit.base import Turn
from handlers.kit.base import bind_command
from handlers.kit.base import guarded
from handlers.kit.confirm import confirm_step
from handlers.kit.flows import Flow
from handlers.kit.flows import bind_flow
from handlers.kit.flows import start
from handlers.kit.relay import pass_to_relay
from storage import importing
from storage.access import Action
from storage.access import can
from storage.errors import NotAllowed
from storage.municipalities import Municipalities
from storage.personnummer import PersonnummerCipher

ERRORS_SHOWN = 10
SPREADSHEETS = (ptb_filters.Document.FileExtension("xlsx")
                | ptb_filters.Document.FileExtension("csv")
                | ptb_filters.Document.FileExtension("xlsm"))


# "Import N participants" as /import sent it before the flow engine: old buttons expire.
retire("imp", command="import")


@dataclass(frozen=True)
class ImportDraft:
    """A checked file waiting for "Import N participants": Telegram's id for the file (it
    is read again when confirmed), its name, what the check found, and how many are new."""

    file_id: str
    file_name: str
    summary: str
    new: int


async def import_command(turn: Turn) -> None:
    tr = turn.tr
    staff = turn.staff
    assert staff is not None
    content = template_workbook(tr, tr.language, staff.name)
    await turn.reply_document(content, tr._("caseload-template.xlsx"), tr._(
        "Fill in one row per participant and send the file back to me (XLSX or CSV). I "
        "check every row first and import nothing until you confirm."))


def _municipalities(turn: Turn) -> Municipalities:
    """The project's municipalities, narrowed to a lead's own when they have some."""
    project = turn.services.settings.municipalities
    scope = turn.require_viewer().municipalities
    if not scope:
        return project
    return Municipalities(m for m in project.members if m.name in scope)


async def _plan(turn: Turn, file_id: str, name: str) -> tuple[importing.Plan | None, str]:
    """Download and check the file: (the plan, "") or (None, what is wrong with it)."""
    tr = turn.tr
    file = await turn.context.bot.get_file(file_id)
    data = bytes(await file.download_as_bytearray())
    try:
        table = importing.read_table(data, name)
        async with turn.transaction() as session:
            plan = await importing.plan_participants(
                session, table, IMPORT_VOCABULARY, today=turn.today,
                municipalities=_municipalities(turn),
                cipher=PersonnummerCipher.from_setting(
                    turn.services.settings.personnummer_key),
                sensitive_allowed=turn.services.settings.sensitive_categories)
    except importing.ImportFileError as error:
        return None, file_error_text(tr, error)
    return plan, ""


@guarded(Audience.ANYONE)
async def _spreadsheet(turn: Turn) -> None:
    message = turn.update.effective_message
    assert message is not None and message.document is not None
    if turn.viewer is None or message.reply_to_message is not None:
        # Not an import: a participant's file, or staff answering one, goes to the relay.
        await pass_to_relay(turn.update, turn.context)
        return
    if not can(turn.viewer, Action.IMPORT_CASELOAD):
        await turn.reply(error_text(turn.tr, NotAllowed()))
        return
    await spreadsheet_received(turn)


async def spreadsheet_received(turn: Turn) -> None:
    tr = turn.tr
    message = turn.update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    name = document.file_name or "caseload.xlsx"
    if document.file_size and document.file_size > importing.MAX_BYTES:
        await turn.reply(file_error_text(tr, importing.ImportFileError(
            "too_large", mb=importing.MAX_BYTES // (1024 * 1024))))
        return
    plan, problem = await _plan(turn, document.file_id, name)
    if plan is None:
        await turn.reply(tr._("%(name)s: %(problem)s Nothing was imported.", name=name,
                              problem=SafeHtml(problem)))
        return
    lines = [plan_summary(tr, plan, name)]
    lines += [row_error_text(tr, error) for error in plan.errors[:ERRORS_SHOWN]]
    if len(plan.errors) > ERRORS_SHOWN:
        lines.append(tr._("… and %(n)s more.", n=len(plan.errors) - ERRORS_SHOWN))
    if not plan.ok:
        lines.append(tr._("Nothing was imported: correct the rows and send the file again."))
        await turn.reply("\n".join(lines))
        return
    if not plan.new:
        lines.append(tr._("Everyone in the file is already here; nothing to import."))
        await turn.reply("\n".join(lines))
        return
    await start(turn, IMPORT_FLOW, ImportDraft(document.file_id, name, "\n".join(lines),
                                               len(plan.new)))


async def import_from_draft(turn: Turn, draft: ImportDraft) -> None:
    tr = turn.tr
    plan, problem = await _plan(turn, draft.file_id, draft.file_name)
    if plan is None or not plan.ok:
        # The staff list or the participants changed since the check: nothing is stored.
        await turn.edit(problem or tr._("The file no longer checks out (someone changed the "
                                        "staff or the participants meanwhile); nothing was "
                                        "imported. Send it again."))
        return
    async with turn.transaction() as session:
        codes = await importing.apply_participants(
            session, plan, actor_staff_id=turn.require_viewer().staff_id, now=turn.now,
            cipher=PersonnummerCipher.from_setting(turn.services.settings.personnummer_key),
            source=draft.file_name)
    await turn.edit(tr.ngettext("✅ Imported %(n)s participant (%(first)s–%(last)s).",
                                "✅ Imported %(n)s participants (%(first)s–%(last)s).",
                                len(codes), first=codes[0] if codes else "",
                                last=codes[-1] if codes else ""))


IMPORT_FLOW = Flow(
    "import", command="import", draft=ImportDraft,
    steps=(confirm_step(
        prompt=lambda _tr, d: d.summary,
        label=lambda tr, d: tr.ngettext("Import %(n)s participant", "Import %(n)s participants",
                                        d.new)),),
    finish=import_from_draft,
)


def register(app: Application) -> None:
    bind_command(app, "import", import_command)
    # Before the relay's media handler: a lead's spreadsheet is an import; anyone else's
    # document is handed on to the relay as before.
    app.add_handler(MessageHandler(SPREADSHEETS & ~ptb_filters.COMMAND, _spreadsheet))
    bind_flow(app, IMPORT_FLOW)
