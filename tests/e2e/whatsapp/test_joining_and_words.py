"""On WhatsApp: joining from a wa.me link, commands typed as words, and what the bot cannot read."""

from __future__ import annotations

from bot.sop import Role
from tests.e2e.whatsapp.conftest import Mixed


async def test_a_person_joins_from_the_wa_me_link_and_opens_the_menu_by_typing_a_word(
    mixed: Mixed,
) -> None:
    m = mixed
    await m.h.add_opds("DINKES")
    sari = await m.join_wa("6281234567001", "Ibu Sari", Role.PENDUKUNG, "DINKES")
    user = await m.wa_user(sari)
    assert user.channel == "whatsapp" and user.role == Role.PENDUKUNG
    # Keyed on the business-scoped user id; the number kept as contact data only.
    assert user.external_id == sari.bsuid and user.phone == "6281234567001"
    await sari.send("menu")
    menu = await sari.next_message()
    assert menu.buttons or menu.rows, menu.text
    await sari.send("/bantuan")
    assert "PPID" in (await sari.next_message()).text


async def test_an_unknown_number_writing_first_is_told_to_ask_for_an_invitation(
    mixed: Mixed,
) -> None:
    stranger = mixed.wa.person("6289999999999", "Orang")
    await stranger.send("Halo, ini bot apa?")
    answer = await stranger.next_message()
    assert "undangan" in answer.text


async def test_a_used_invitation_is_refused_on_whatsapp(mixed: Mixed) -> None:
    m = mixed
    token = await m.h.invite(Role.UTAMA, None, "Ibu Rina")
    rina = m.wa.person("6281234567002", "Rina")
    await rina.send(f"Halo PPID Bot, saya ingin bergabung. Kode undangan: {token}")
    await rina.wait_for_text("Selamat bergabung")
    other = m.wa.person("6281234567003", "Budi")
    await other.send(f"Halo PPID Bot, saya ingin bergabung. Kode undangan: {token}")
    refused = await other.next_message()
    assert "sudah dipakai" in refused.text or "sudah digunakan" in refused.text, refused.text


async def test_voice_notes_stickers_and_locations_get_a_short_answer_and_reactions_none(
    mixed: Mixed,
) -> None:
    m = mixed
    sari = await m.join_wa("6281234567004", "Ibu Sari", Role.UTAMA)
    await sari.send_voice()
    assert "pesan suara" in (await sari.next_message()).text
    await sari.send_sticker()
    assert "stiker" in (await sari.next_message()).text
    await sari.send_location(-0.02, 109.33)
    assert "lokasi" in (await sari.next_message()).text
    joined = sari.messages[0]
    await sari.react(joined, "👍")
    await sari.send("menu")
    after = await sari.next_message()
    assert "lokasi" not in after.text and "stiker" not in after.text  # nothing for the reaction


async def test_a_word_that_names_a_command_answers_the_question_asked(mixed: Mixed) -> None:
    m = mixed
    await m.h.add_opds("DINKES")
    andi = await m.join_wa("6281234567005", "Bapak Andi", Role.PEJABAT)
    await andi.send("menu")
    await andi.wait_until(lambda x: "➕ Mulai putaran baru" in x.buttons + x.rows)
    await andi.press("➕ Mulai putaran baru")
    await andi.wait_for_text("Nama putaran")
    await andi.send("Laporan")  # the round's name, not the monthly report
    picker = await andi.wait_for_text("Pilih OPD")
    assert "Putaran *Laporan*" in picker.text
    await andi.send("batal")  # still cancels
    assert "dibatalkan" in (await andi.next_message()).text.lower()
