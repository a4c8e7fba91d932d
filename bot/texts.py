"""Every sentence a person reads, in polite, short Bahasa Indonesia, in one catalogue.

Keys are kebab-case with a prefix per area (`cli-`, `start-`, `help-`, ...). Handlers and commands pick
a key and pass values; they never write a sentence themselves. `t()` is for chat messages, written
in the neutral markup of `bot.channels.markup` (`*bold*`, `_italic_`, `` `code` ``, `[label](url)`;
each channel's adapter renders it), so it escapes every value; `plain()` is for the terminal.
"""

from __future__ import annotations

from typing import Final

from bot.channels.markup import escape as escape_markup

TEXTS: Final[dict[str, str]] = {
    # --- command line (plain text) -------------------------------------------------------------
    "cli-no-token": (
        "PPID Bot belum punya token Telegram maupun WhatsApp.\n"
        "1. Buka Telegram, cari @BotFather, kirim /newbot dan ikuti petunjuknya.\n"
        "2. Salin token yang diberikan (bentuknya 123456789:ABC...).\n"
        "3. Simpan di file .env di folder proyek: PPID_TELEGRAM_TOKEN=123456789:ABC...\n"
        "   (atau sebagai variabel lingkungan PPID_TELEGRAM_TOKEN).\n"
        "4. Jalankan lagi: make run\n"
        "Untuk WhatsApp (bersama Telegram atau tanpa Telegram): isi PPID_WHATSAPP_TOKEN,"
        " PPID_WHATSAPP_PHONE_NUMBER_ID, PPID_WHATSAPP_APP_SECRET, PPID_WHATSAPP_VERIFY_TOKEN dan"
        " PPID_WHATSAPP_NUMBER; langkah lengkapnya ada di README, bagian WhatsApp."
    ),
    "cli-backup-postgresql": (
        "Basis data ini PostgreSQL: cadangkan dengan alat servernya (pg_dump atau base backup)"
        " dan salin folder dokumen bersama; perintah backup dan restore hanya untuk SQLite."
    ),
    "cli-move-from-postgresql": (
        "Bot ini sudah memakai PostgreSQL (PPID_DATABASE_URL): tidak ada berkas SQLite yang"
        " dipindahkan. Kosongkan PPID_DATABASE_URL untuk memindahkan berkas di PPID_DATA_DIR."
    ),
    "cli-move-not-postgresql": (
        "Tujuan harus alamat PostgreSQL, misalnya postgresql://pengguna:sandi@server/basisdata."
    ),
    "cli-move-no-source": "Berkas basis data {path} tidak ada: tidak ada yang dipindahkan.",
    "cli-move-target-not-empty": (
        "Basis data tujuan {where} sudah berisi data (tabel {table}): pemindahan hanya ke basis"
        " data yang kosong. Tidak ada yang diubah."
    ),
    "cli-move-start": (
        "Memindahkan data dari {path} ke {where}. Bot harus berhenti selama ini: pesan yang"
        " masuk setelah penyalinan tidak ikut."
    ),
    "cli-move-table": "- {table}: {rows} baris",
    "cli-move-done": (
        "Selesai: {rows} baris dari {tables} tabel disalin ke {where}, dan jumlahnya sudah"
        " dicocokkan. Berkas SQLite tetap ada. Jalankan bot dengan PPID_DATABASE_URL menunjuk"
        " ke basis data itu; dokumen dan situs tetap di PPID_DATA_DIR (jadikan folder bersama"
        " semua instance)."
    ),
    "cli-move-mismatch": (
        "Penyalinan dibatalkan: tabel {table} berisi {copied} baris di tujuan, {source} di"
        " sumber. Tidak ada yang disimpan di tujuan."
    ),
    "cli-db-busy": (
        "Basis data sedang dipakai proses lain ({where}) dan tidak lepas dalam 5 detik. Tidak ada"
        " yang diubah; jalankan lagi sebentar lagi."
    ),
    "cli-db-unreachable": (
        "Basis data tidak dapat dihubungi ({where}): {reason}. Periksa server PostgreSQL dan"
        " PPID_DATABASE_URL, lalu jalankan lagi."
    ),
    "cli-demo-needs-empty": (
        "Demo menulis orang dan kasus contoh, jadi hanya berjalan pada basis data PostgreSQL yang"
        " masih kosong. Buat basis data baru untuk demo, atau kosongkan PPID_DATABASE_URL."
    ),
    "cli-poller-taken": (
        "Bot ini tidak dijalankan: instans lain sudah mengambil pesan Telegram dengan polling. "
        "Dengan beberapa instans, pakai webhook (PPID_WEBHOOK_URL)."
    ),
    "cli-telegram-rejected": (
        "Telegram menolak token bot (PPID_TELEGRAM_TOKEN). Periksa token di @BotFather"
        " (/mybots > API Token), simpan di .env, lalu jalankan lagi."
    ),
    "cli-telegram-unreachable": (
        "Telegram tidak dapat dihubungi ({reason}). Periksa koneksi internet server,"
        " atau PPID_TELEGRAM_BASE_URL bila memakai server Bot API sendiri, lalu jalankan lagi."
    ),
    "cli-settings-invalid": "Pengaturan tidak valid; perbaiki di .env atau variabel lingkungan:",
    "cli-whatsapp-unreachable": (
        "WhatsApp Cloud API tidak dapat dihubungi ({reason}). Periksa koneksi internet server"
        " dan PPID_WHATSAPP_API_URL, lalu jalankan lagi."
    ),
    "cli-whatsapp-rejected": (
        "Meta menolak token WhatsApp (PPID_WHATSAPP_TOKEN) atau nomor id"
        " (PPID_WHATSAPP_PHONE_NUMBER_ID). Periksa keduanya di Meta Business Suite, lalu jalankan lagi."
    ),
    "cli-whatsapp-off": (
        "WhatsApp belum aktif: isi PPID_WHATSAPP_TOKEN dan PPID_WHATSAPP_PHONE_NUMBER_ID"
        " (lihat README, bagian WhatsApp)."
    ),
    "cli-whatsapp-no-waba": (
        "Isi PPID_WHATSAPP_BUSINESS_ACCOUNT_ID untuk memeriksa dan membuat templat lewat Graph API."
    ),
    "cli-whatsapp-template-made": "Templat {name}: {status}",
    "cli-whatsapp-template-failed": "Templat {name} gagal dibuat: {reason}",
    "wa-templates-missing": (
        "⚠️ Templat WhatsApp belum siap (belum ada atau belum disetujui Meta): {names}."
        " Pemberitahuan kepada petugas yang tidak menulis ke bot dalam 24 jam terakhir belum"
        " dapat dikirim. Jalankan: python -m bot whatsapp templates --submit"
    ),
    "wa-templates-unchecked": (
        "Templat WhatsApp tidak diperiksa: PPID_WHATSAPP_BUSINESS_ACCOUNT_ID belum diisi."
    ),
    "wa-templates-ready": "Templat WhatsApp siap: {names}.",
    "cli-bad-datetime": (
        "'{value}' bukan tanggal-waktu yang valid. Contoh: 2026-03-17T10:00 "
        "(waktu setempat) atau 2026-03-17T10:00+07:00."
    ),
    "cli-bad-date": "'{value}' bukan tanggal yang valid. Contoh: 2027-01-04.",
    "cli-bad-days": "--days harus bilangan bulat 1 atau lebih (diberikan: {value}).",
    "cli-bad-year": "--year harus tahun antara 2000 dan 2100 (diberikan: {value}).",
    "cli-holidays-header": "Hari kerja (Senin-Jumat) yang libur pada tahun {year}:",
    "cli-holidays-row": "{date}  {day:<6}  {name}",
    "cli-holidays-extra-workdays": "Hari kerja tambahan (pengganti):",
    "cli-holidays-none": "Tidak ada.",
    "cli-holiday-added": "Libur ditambahkan: {date} ({name}).",
    "cli-workday-added": "Hari kerja tambahan dicatat: {date} ({name}).",
    "cli-override-removed": "Pengaturan tanggal {date} dihapus.",
    "cli-deadlines-moved": "Batas waktu {count} tugas yang sedang berjalan dihitung ulang; petugasnya akan diberi tahu.",
    "cli-override-missing": "Tidak ada pengaturan untuk tanggal {date}; tidak ada yang diubah.",
    "cli-holiday-on-weekend": (
        "{date} adalah hari {day}, yang memang bukan hari kerja; tidak ada yang diubah."
    ),
    "cli-workday-already": (
        "{date} sudah hari kerja biasa; hari kerja tambahan hanya untuk Sabtu, Minggu atau libur."
    ),
    "cli-name-invalid": "Nama harus diisi, paling banyak 200 karakter.",
    "cli-config-header": "Pengaturan yang berlaku (token disamarkan):",
    "cli-interrupted": "Dihentikan.",
    "cli-outbox-empty": "Tidak ada notifikasi yang menunggu atau gagal.",
    "cli-outbox-header": "Notifikasi yang menunggu dan yang gagal (waktu kirim paling cepat, WIB):",
    "cli-outbox-row": "#{id} [{state}] untuk {name} ({role}) {key}, {at}, {attempts} kali dicoba, kesalahan: {error}",
    "cli-outbox-uncertain": "   (bot berhenti saat mengirim ini; penerima mungkin sudah menerimanya sekali)",
    "cli-outbox-pending": "menunggu",
    "cli-outbox-failed": "gagal",
    "cli-outbox-not-failed": "Notifikasi #{id} tidak ada atau tidak berstatus gagal; tidak ada yang diubah.",
    "cli-outbox-retried": "Notifikasi #{id} diantrekan ulang; bot akan mengirimnya pada jam kerja berikutnya.",
    "cli-web-built": "Situs DIP dibangun ulang: {count} informasi publik, di {path}.",
    "cli-web-unchanged": "Situs DIP sudah sesuai dengan basis data: {count} informasi publik, di {path}; tidak ada yang ditulis ulang. (Bangun ulang semuanya: web build --full)",
    "cli-web-updated": "Situs DIP diperbarui: {count} informasi publik, {rendered} halaman dan data ditulis ulang, {reused} dipakai ulang, di {path}. (Bangun ulang semuanya: web build --full)",
    "cli-web-serving": "Pratinjau situs DIP: {url} (hentikan dengan Ctrl+C).",
    "cli-bad-port": "Port harus antara 1 dan 65535 (diberikan: {value}).",
    "cli-port-busy": "Port {port} tidak dapat dipakai ({error}); pilih port lain dengan --port.",
    "cli-exempt-written": "Daftar informasi dikecualikan ({count} entri) ditulis ke {path}.",
    "cli-cannot-write": "Tidak dapat menulis {path}: {error}.",
    "cli-template-written": "Templat DIP ditulis ke {path}.",
    "cli-dip-written": "DIP ({count} informasi) ditulis ke {path}.",
    "cli-unknown-opd-code": "OPD {code} tidak dikenal. Lihat daftarnya: python -m bot opd list",
    "cli-unknown-round": "Putaran #{id} tidak ada. Lihat daftarnya: python -m bot status",
    "cli-bad-month": "'{value}' bukan bulan yang valid. Contoh: 2027-03.",
    "cli-report-written": "Laporan {month} ditulis ke {path}.",
    "cli-demo-done": (
        "Demo selesai: satu putaran lengkap untuk dua OPD (satu di WhatsApp), tanpa internet dan"
        " tanpa token."
    ),
    "demo-legend": (
        "Percakapan demo di Telegram dan WhatsApp: baris bertanda (WhatsApp) terjadi di WhatsApp,"
        " selebihnya di Telegram."
    ),
    "demo-days-later": "··· {days} hari kemudian: {when} ···",
    # --- command line: backup, restore, health, upgrades ---------------------------------------
    "cli-db-too-new": (
        "Basis data {path} sudah dipakai oleh versi PPID Bot yang lebih baru (migrasi {number};"
        " versi ini hanya sampai {shipped}). Tidak ada yang diubah. Pasang versi yang lebih baru,"
        " atau pulihkan cadangan yang dibuat versi ini."
    ),
    "cli-backup-need-out": "Sebutkan berkas tujuan, mis.: python -m bot backup --out cadangan.tar.gz",
    "cli-backup-written": "Cadangan ditulis ke {path}: basis data (migrasi {schema}), {documents} dokumen, {size} KB.",
    "cli-backup-missing-docs": "Perhatian: {count} dokumen tercatat di basis data tetapi tidak ada di folder dokumen: {hashes}",
    "cli-backup-ok": (
        "Cadangan {path} utuh: dibuat {created}, basis data (migrasi {schema}), {documents}"
        " dokumen; semua hash SHA-256 cocok."
    ),
    "cli-restored": "Cadangan {path} dipulihkan ke {dir}: basis data (migrasi {schema}), {documents} dokumen.",
    "cli-restored-aside": "Isi lama folder data dipindahkan ke {path} (tidak dihapus).",
    "cli-restored-next": (
        "Pengaturan saat pencadangan (tanpa token) ada di {path}. Bangun ulang situs DIP:"
        " python -m bot web build, lalu jalankan bot."
    ),
    "backup-no-database": "Basis data {path} tidak ada; tidak ada yang dicadangkan. Periksa PPID_DATA_DIR.",
    "backup-cannot-write": (
        "Tidak dapat menulis {path}: {error}. Tidak ada yang diubah; periksa izin folder dan"
        " ruang disk."
    ),
    "backup-missing": "Berkas cadangan {path} tidak ditemukan.",
    "backup-damaged": "Cadangan {path} rusak atau terpotong ({error}); jangan dipakai, pakai cadangan lain.",
    "backup-tampered": (
        "Cadangan {path} tidak cocok dengan daftar isinya ({member}): berkas diubah atau rusak."
        " Jangan dipakai; pakai cadangan lain."
    ),
    "backup-not-ours": "{path} bukan cadangan PPID Bot (daftar isinya tidak dikenal).",
    "backup-too-new": (
        "Cadangan {path} dibuat oleh versi PPID Bot yang lebih baru (migrasi {number}). Pasang"
        " versi itu dulu, lalu pulihkan lagi. Tidak ada yang diubah."
    ),
    "restore-not-empty": (
        "Folder data {path} tidak kosong; tidak ada yang diubah. Pulihkan ke folder kosong"
        " (atur PPID_DATA_DIR), atau tambahkan --force: isi lama dipindahkan ke samping, tidak"
        " dihapus."
    ),
    "health-ok": "Sehat: semua pemeriksaan lolos.",
    "health-held": "Catatan: {count} notifikasi ditahan untuk orang yang tidak dapat dihubungi (admin sudah diberi tahu).",
    "health-no-database": (
        "Basis data {path} tidak ada: bot belum pernah berjalan dengan PPID_DATA_DIR ini, atau"
        " folder datanya salah."
    ),
    "health-unreadable": "Basis data {path} tidak dapat dibaca: {error}.",
    "health-too-new": "Basis data dipakai oleh versi PPID Bot yang lebih baru (migrasi {number}); versi ini tidak dapat menjalankannya.",
    "health-never-swept": "Bot belum pernah memeriksa tenggat dengan basis data ini: bot belum dijalankan.",
    "health-not-swept": (
        "Bot tidak memeriksa tenggat selama {minutes} menit (terakhir {at}): bot tidak berjalan"
        " atau macet."
    ),
    "health-stuck": "{count} notifikasi menunggu lebih dari 10 menit pada jam kerja (paling lama sejak {since}).",
    "health-failed": "{count} notifikasi gagal terkirim; lihat: python -m bot outbox.",
    "health-backup-none": "Belum ada cadangan sejak basis data dibuat ({since}).",
    "health-backup-old": "Cadangan terakhir lebih dari 2 hari yang lalu ({at}).",
    "health-backup-failed": "Cadangan terakhir gagal ({at}): {error}",
    "health-disk-low": "Ruang disk bebas di {path} tinggal {free} MB (minimum {minimum} MB).",
    "health-integrity": "Pemeriksaan integritas basis data gagal: {error}",
    # --- command line: organisation, people, audit, status -----------------------------------
    "cli-opd-file-missing": "File {file} tidak ditemukan. Tidak ada OPD yang diimpor.",
    "cli-opd-file-unreadable": "File {file} tidak dapat dibaca ({error}). Tidak ada OPD yang diimpor.",
    "cli-opd-source-missing": "Sebutkan file CSV atau --builtin, mis.: python -m bot opd import --builtin",
    "cli-opd-source-both": "Pilih salah satu: file CSV atau --builtin, jangan keduanya.",
    "cli-opd-csv-not-utf8": (
        "{file} baris {line}: file bukan teks UTF-8. Simpan ulang sebagai CSV UTF-8. "
        "Tidak ada OPD yang diimpor."
    ),
    "cli-opd-csv-invalid": "{file} baris {line}: CSV tidak valid ({error}). Tidak ada OPD yang diimpor.",
    "cli-opd-csv-columns": (
        "{file}: baris judul harus memuat kolom code dan name (ditemukan: {found}). "
        "Tidak ada OPD yang diimpor."
    ),
    "cli-opd-csv-no-rows": "{file}: tidak ada baris OPD di bawah baris judul. Tidak ada OPD yang diimpor.",
    "cli-opd-csv-empty-code": "{file} baris {line}: kode OPD kosong. Tidak ada OPD yang diimpor.",
    "cli-opd-csv-empty-name": "{file} baris {line}: nama OPD {code} kosong. Tidak ada OPD yang diimpor.",
    "cli-opd-csv-bad-code": (
        "{file} baris {line}: kode OPD '{code}' tidak valid; pakai 2-30 huruf A-Z, angka atau "
        "garis bawah (mis. DINKES, KEC_KOTA). Tidak ada OPD yang diimpor."
    ),
    "cli-opd-csv-long-name": (
        "{file} baris {line}: nama OPD {code} lebih dari {limit} karakter. "
        "Tidak ada OPD yang diimpor."
    ),
    "cli-opd-csv-duplicate": (
        "{file} baris {line}: kode OPD {code} sudah ada di baris {first}. "
        "Tidak ada OPD yang diimpor."
    ),
    "cli-opd-builtin-label": "daftar OPD bawaan",
    "cli-opd-imported": "Impor OPD selesai: {new} baru, {updated} diperbarui, {unchanged} tidak berubah.",
    "cli-opd-columns": "KODE|NAMA",
    "cli-opd-none": "Belum ada OPD. Impor daftar bawaan: python -m bot opd import --builtin",
    "cli-bad-role": "Peran '{value}' tidak dikenal. Pilih salah satu: {roles}.",
    "cli-bad-invite-days": "--days harus bilangan bulat 1 sampai {limit} (diberikan: {value}).",
    "cli-bad-user-id": "ID pengguna harus bilangan bulat positif (diberikan: {value}).",
    "cli-bad-case-id": "ID berkas harus bilangan bulat positif (diberikan: {value}).",
    "cli-invite-name-invalid": "--name tidak boleh kosong dan paling banyak {limit} karakter.",
    "cli-invite-needs-opd": (
        "Undangan ppid_pendukung harus menyebut OPD-nya: tambahkan --opd KODE "
        "(daftar kode: python -m bot opd list)."
    ),
    "cli-unknown-opd": "OPD '{code}' tidak dikenal. Daftar kode: python -m bot opd list",
    "cli-invite-opd-only-pendukung": "--opd hanya untuk peran ppid_pendukung; hapus --opd untuk peran {role}.",
    "cli-bot-username-missing": (
        "Nama pengguna bot belum diketahui. Isi PPID_BOT_USERNAME (tanpa @) di .env, "
        "atau isi PPID_TELEGRAM_TOKEN agar ditanyakan ke Telegram (atau, untuk WhatsApp saja, "
        "isi PPID_WHATSAPP_NUMBER)."
    ),
    "cli-bot-username-invalid": (
        "PPID_BOT_USERNAME '{value}' tidak valid: 5-32 huruf, angka atau garis bawah, tanpa @."
    ),
    "cli-bot-username-lookup-failed": (
        "Nama pengguna bot tidak dapat ditanyakan ke Telegram ({error}). "
        "Periksa PPID_TELEGRAM_TOKEN, atau isi PPID_BOT_USERNAME."
    ),
    "cli-invite-created": "Undangan {role}, OPD: {opd}{name}; sekali pakai, berlaku sampai {until}.",
    "cli-invite-opd": "{code} ({name})",
    "cli-invite-name": ", atas nama {name}",
    "cli-user-move": (
        "Tautan pindah saluran untuk pengguna {id} ({name}); sekali pakai, berlaku sampai {until}."
        " Tugas, peran dan riwayatnya tetap. Teruskan salah satu tautan berikut kepadanya:"
    ),
    "cli-invite-forward": "Teruskan tautan berikut kepada petugas yang bersangkutan:",
    "cli-user-columns": "ID|NAMA|PERAN|OPD|STATUS|BERGABUNG",
    "cli-user-active": "aktif",
    "cli-user-inactive": "nonaktif",
    "cli-user-none": "Belum ada pengguna. Buat undangan: python -m bot invite --role ROLE",
    "cli-unknown-user": "Pengguna dengan ID {id} tidak ditemukan. Lihat daftar: python -m bot user list",
    "cli-user-already-inactive": "Pengguna {id} sudah nonaktif; tidak ada yang diubah.",
    "cli-user-deactivated": "Pengguna {id} ({name}, {role}) dinonaktifkan.",
    "cli-refused": "Ditolak: {reason}",
    "cli-unknown-case": "Berkas dengan ID {id} tidak ditemukan. Lihat daftar: python -m bot status",
    "cli-audit-head": "Riwayat berkas {id}: {opd} ({code}) — {round}",
    "cli-audit-columns": "WAKTU|OLEH|LANGKAH|TINDAKAN|HASIL|CATATAN",
    "cli-audit-none": "Belum ada catatan untuk berkas ini.",
    "cli-audit-system": "sistem",
    "cli-audit-on-behalf": " a.n. {name}",
    "cli-audit-ok": "berhasil",
    "cli-audit-refused": "ditolak",
    "cli-step-short": "langkah {step}",
    "cli-state-done": "selesai",
    "cli-state-late": "terlambat",
    "cli-status-empty": "Belum ada putaran dokumentasi.",
    "cli-status-generated": "Status per {at}",
    "cli-status-round": "Putaran {id}: {name} (dibuat {created}{closed})",
    "cli-status-round-closed": ", selesai {closed}",
    "cli-status-no-cases": "Putaran ini belum punya berkas.",
    "cli-status-columns": "BERKAS|OPD|LANGKAH|PETUGAS|BATAS|STATUS|ENTRI",
    "cli-status-nobody": "(belum ada petugas)",
    # (end of command-line people section)
    # --- chat: joining and help (HTML) --------------------------------------------------------
    "start-not-invited": (
        "Selamat datang di PPID Bot Kota Pontianak.\n\n"
        "Bot ini hanya untuk petugas PPID yang sudah diundang. Jika Bapak/Ibu petugas PPID, "
        "mohon minta tautan undangan kepada admin PPID Diskominfo."
    ),
    "help-not-invited": (
        "Bot ini melayani pendokumentasian informasi publik Kota Pontianak untuk petugas PPID "
        "yang diundang. Mohon minta tautan undangan kepada admin PPID Diskominfo."
    ),
    # What a WhatsApp invitation link types for the person (they only press send).
    "wa-invite-text": "Halo PPID Bot, saya ingin bergabung. Kode undangan: {token}",
    "unsupported-message": (
        "Mohon maaf, bot belum dapat membaca {what}. Silakan ketik pesan, tekan tombol,"
        " atau kirim dokumen (PDF, Word, Excel) atau foto."
    ),
    "unsupported-audio": "pesan suara",
    "unsupported-video": "video",
    "unsupported-sticker": "stiker",
    "unsupported-location": "lokasi",
    "unsupported-contacts": "kontak",
    "unsupported-edited": "pesan yang diubah (mohon kirim ulang sebagai pesan baru)",
    "unsupported-other": "jenis pesan ini",
    "group-private-only": "Mohon maaf, PPID Bot hanya melayani di chat pribadi. Silakan chat langsung: @{bot}",
    # --- menus and help --------------------------------------------------------------------------
    "menu-title": "Halo, {name} ({role}). Silakan pilih:",
    "btn-tasks": "📋 Tugas saya",
    "btn-status": "📊 Status",
    "btn-help": "❓ Bantuan",
    "btn-menu": "🏠 Menu",
    "btn-cancel": "✖️ Batal",
    "btn-new-round": "➕ Mulai putaran baru",
    "btn-invite": "✉️ Undang petugas",
    "btn-open": "Buka",
    "cmd-tugas": "Tugas saya, yang paling mendesak dulu",
    "cmd-status": "Status putaran dan berkas",
    "cmd-bantuan": "Langkah saya berikutnya",
    "cmd-batal": "Batalkan isian yang sedang berjalan",
    "cmd-menu": "Menu utama",
    "cmd-start": "Mulai",
    "role-admin": "Administrator",
    "role-pejabat_pid": "Pejabat PID",
    "role-ppid_utama": "PPID Utama",
    "role-ppid_pendukung": "PPID Pendukung",
    "role-atasan": "Atasan PPID",
    "cat-berkala": "Berkala",
    "cat-serta_merta": "Serta merta",
    "cat-setiap_saat": "Setiap saat",
    "cat-dikecualikan": "Dikecualikan",
    "step-1": "Langkah 1: Pejabat PID menyusun draf daftar informasi",
    "step-2": "Langkah 2: PPID Utama menelaah draf",
    "step-3": "Langkah 3: PPID Pendukung mengumpulkan dokumen",
    "step-4": "Langkah 4: PPID Utama memeriksa dokumen",
    "step-5": "Langkah 5: Pejabat PID menerbitkan",
    "step-6": "Selesai: sudah diterbitkan",
    "help-admin": "Sebagai Administrator, Bapak/Ibu mengundang petugas (tombol Undang petugas) dan mengatur OPD serta hari libur lewat server.",
    "help-pejabat_pid": "Sebagai Pejabat PID, Bapak/Ibu memulai putaran dokumentasi, menyusun draf daftar informasi tiap OPD (langkah 1, 1 hari kerja) lalu mengirimnya ke PPID Utama, dan menerbitkan hasilnya (langkah 5, 1 hari kerja). Banyak entri? Ketik /templat, isi di komputer, lalu lampirkan. Buka Tugas saya untuk mulai.",
    "help-ppid_utama": "Sebagai PPID Utama, Bapak/Ibu menelaah draf daftar informasi (langkah 2, 1 hari kerja) dan memeriksa dokumen dari OPD (langkah 4, 1 hari kerja): setujui atau kembalikan dengan tombol. Buka Tugas saya untuk mulai.",
    "help-ppid_pendukung": "Sebagai PPID Pendukung {opd}, Bapak/Ibu melengkapi setiap entri yang diminta (langkah 3, 10 hari kerja): kirim dokumennya, atau nyatakan tidak dikuasai, atau usulkan dikecualikan. Tip: kirim dokumen dengan keterangan #3 untuk entri nomor 3.",
    "help-notices": "🔔 Pengingat dan pemberitahuan hanya dikirim pada jam kerja. Semua yang jatuh tempo untuk Bapak/Ibu pada saat yang sama datang dalam satu pesan, yang paling mendesak di atas.",
    "help-datacheck": "🔎 Setiap dokumen yang diterima diperiksa otomatis untuk data pribadi warga (NIK, nomor KK, nomor HP, alamat surel). Bila ada, pengirim langsung diberi tahu jumlah dan halamannya, dan PPID Utama dapat mengembalikan entrinya dengan satu tombol. Dokumen yang tidak dapat dibaca (PDF hasil pindai atau terkunci sandi, foto, arsip ZIP) ditandai “tidak dapat diperiksa”: mohon periksa sendiri.",
    "help-exemptions": "🔒 Informasi yang dikecualikan berlaku sampai tanggal akhirnya. Sepuluh hari kerja sebelumnya, PPID Utama dan PPID Pendukung OPD-nya diminta memutuskan dengan tombol: perpanjang (dengan uji konsekuensi dan tanggal akhir baru) atau buka untuk publik (pilih kategorinya; entri kembali ke OPD untuk dilengkapi dokumennya, diperiksa, lalu diterbitkan). Bila tanggal akhir lewat tanpa keputusan, Atasan PPID diberi tahu.",
    "help-atasan": "Sebagai Atasan PPID, Bapak/Ibu menerima laporan keterlambatan dan dapat melihat Status semua OPD.",
    # --- absences: Plh (leave, duty trip) and Plt (vacancy) -----------------------------------
    "help-absences": "🏖 Cuti atau dinas luar? Catat lewat tombol Ketidakhadiran: tanggal mulai, tanggal selesai, dan pengganti (peran yang sama; untuk PPID Pendukung dari OPD yang sama). Selama itu tugas, pengingat dan ringkasan diteruskan ke pengganti, yang bertindak atas nama Bapak/Ibu (tercatat a.n. Bapak/Ibu). Batas waktu tidak berubah. Setelah selesai, tugas kembali dan keduanya diberi tahu.",
    "help-absences-admin": "🏖 Lewat tombol Ketidakhadiran, admin mencatat cuti atau dinas luar petugas beserta penggantinya (Plh), atau menunjuk Plt tanpa tanggal selesai untuk jabatan yang kosong.",
    "menu-away": "🏖 Bapak/Ibu tercatat tidak hadir sampai {until}; tugas ditangani {stand_in}. Bapak/Ibu tetap dapat melihat status.\n\n",
    "btn-absences": "🏖 Ketidakhadiran",
    "btn-absence-add": "➕ Catat ketidakhadiran saya",
    "btn-absence-add-other": "➕ Catat ketidakhadiran petugas",
    "btn-absence-end": "⏹ Akhiri/batalkan ({starts})",
    "btn-absence-end-of": "⏹ Akhiri: {name}",
    "btn-absence-open-ended": "♾ Tanpa tanggal selesai (Plt)",
    "btn-absence-no-stand-in": "Tanpa pengganti",
    "absence-line": "• {name}: {starts} s.d. {ends}, pengganti: {stand_in}",
    "absence-open-ended": "tanpa batas (Plt)",
    "absence-no-stand-in": "tidak ada",
    "absence-none": "Tidak ada.",
    "absence-all-title": "*Ketidakhadiran petugas* (berjalan dan akan datang):",
    "absence-mine-title": "*Ketidakhadiran Bapak/Ibu* (cuti, dinas luar):",
    "absence-covering-title": "*Bapak/Ibu menjadi pengganti untuk:*",
    "absence-nobody": "Belum ada petugas yang ketidakhadirannya dapat dicatat.",
    "absence-pick-person": "Ketidakhadiran siapa yang akan dicatat?",
    "absence-ask-from": "Mulai tanggal berapa Bapak/Ibu tidak hadir (cuti atau dinas luar)? Tulis seperti 31-12-2030.",
    "absence-ask-from-other": "Mulai tanggal berapa {name} tidak hadir? Tulis seperti 31-12-2030.",
    "absence-ask-until": "Mulai {starts}. Sampai tanggal berapa (hari terakhir tidak hadir)? Tulis seperti 31-12-2030.",
    "absence-ask-stand-in": "Siapa pengganti {name} selama itu? Pengganti menerima tugas dan pengingatnya, dan bertindak atas nama {name}.",
    "absence-no-candidates": "Tidak ada {role} lain yang aktif untuk menjadi pengganti.",
    "absence-use-buttons": "Mohon pilih pengganti dengan tombol di atas, atau ketik /batal.",
    "absence-saved": "✅ Ketidakhadiran dicatat:\n{line}\nTugas baru, pengingat dan ringkasan selama itu diteruskan ke pengganti. Batas waktu tugas tidak berubah.",
    "absence-ended": "✅ Ketidakhadiran diakhiri:\n{line}\nTugas yang masih terbuka kembali kepada yang bersangkutan.",
    "cancelled": "Baik, isian dibatalkan.",
    "nothing-to-cancel": "Tidak ada isian yang sedang berjalan.",
    "no-tasks": "Tidak ada tugas yang menunggu Bapak/Ibu saat ini. Terima kasih!",
    "tasks-title": "Tugas Bapak/Ibu ({count}), yang paling mendesak dulu:",
    "task-line": "• {opd} — {round}\n  {step}\n  {deadline}{late}",
    "late-mark": " ⚠️ TERLAMBAT",
    "status-empty": "Tidak ada putaran yang sedang berjalan atau selesai dalam 30 hari terakhir.",
    "status-more": "… dan {count} kasus lainnya; tombol di bawah membuka yang teratas.",
    "status-round": "*{name}*",
    "status-case": "• {opd}: {step}{due}{late}",
    "status-due": ", batas {due}",
    "unexpected-text": "Mohon maaf, Bapak/Ibu tidak sedang mengisi apa pun. Silakan pilih dari menu.",
    "unexpected-file": "Mohon maaf, saat ini bot tidak menunggu dokumen. Untuk melampirkan ke entri, pilih entri lalu Kirim dokumen, atau beri keterangan #nomor pada dokumen.",
    "expected-file": "Mohon kirim dokumen (lampiran), bukan teks. Ketik /batal untuk membatalkan.",
    "expected-text": "Mohon ketik jawaban sebagai teks, bukan lampiran. Ketik /batal untuk membatalkan.",
    # --- joining --------------------------------------------------------------------------------
    "joined": "Selamat bergabung, {name}. Bapak/Ibu terdaftar sebagai {role}{opd}. Bot akan mengabari setiap ada tugas.",
    "already-member": "Bapak/Ibu sudah terdaftar sebagai {role}.",
    # --- rounds ---------------------------------------------------------------------------------
    "round-ask-name": "Nama putaran dokumentasi? Contoh: DIP Semester I 2027",
    "round-pick-opds": "Putaran *{name}*. Pilih OPD yang ikut, lalu Buat putaran. Terpilih: {count}.",
    "btn-all-opds": "Pilih semua",
    "btn-create-round": "✅ Buat putaran",
    "round-created": "Putaran *{name}* dibuat untuk {count} OPD. Langkah 1 dimulai, {deadline}. Pilih OPD untuk menyusun draf:",
    "btn-schedule": "🔁 Putaran berkala",
    "btn-schedule-on": "Aktifkan (Januari dan Juli)",
    "btn-schedule-off": "Hentikan putaran berkala",
    "schedule-on": "Putaran berkala aktif: setiap {months}, pada hari kerja pertama, untuk OPD putaran terakhir dengan entri yang disalin sebagai draf.",
    "schedule-off": "Putaran berkala belum aktif. Informasi berkala wajib diperbarui paling sedikit setiap enam bulan; bot dapat membuka putaran otomatis setiap Januari dan Juli.",
    "no-opds": "Belum ada OPD terdaftar. Mohon minta admin menjalankan: python -m bot opd import --builtin",
    # --- step 1 -------------------------------------------------------------------------------
    "case-head": "*{opd}* — {round}\n{step}\n{deadline}",
    "return-note": "\n\n↩️ Dikembalikan dengan catatan: {note}",
    "entries-none": "\nBelum ada entri.",
    "entry-line": "#{number} {title} [{category}]{state}",
    "draft-docs": "\n📎 Lampiran draf: {names}",
    "btn-add-entry": "➕ Tambah entri",
    "btn-attach-draft": "📎 Lampirkan draf",
    "btn-send-utama": "📤 Kirim ke PPID Utama",
    "btn-details": "🔎 Rincian",
    "entry-ask-title": "Judul informasi untuk entri baru? (paling banyak 200 karakter)",
    "entry-ask-summary": "Ringkasan isi informasi *{title}*?",
    "entry-ask-category": "Kategori informasi *{title}*?",
    "entry-card": "*#{number} {title}*\nRingkasan: {summary}\nKategori: {category}\nPejabat/unit yang menguasai: {holder}\nPenanggung jawab: {responsible}\nWaktu dan tempat pembuatan: {made}\nBentuk: {forms}\nRetensi: {retention}",
    "entry-saved": "Entri #{number} disimpan. Bidang lain berisi nilai bawaan; ketuk untuk mengubah.",
    "field-title": "Judul",
    "field-summary": "Ringkasan",
    "field-holder": "Yang menguasai",
    "field-responsible": "Penanggung jawab",
    "field-made": "Waktu & tempat",
    "field-forms": "Bentuk",
    "field-retention": "Retensi",
    "field-ask": "Nilai baru untuk {field}? Sekarang: {value}",
    "field-ask-forms": "Bentuk informasi? Tulis satu atau lebih dari: cetak, softcopy, online (pisahkan dengan koma). Sekarang: {value}",
    "btn-remove-entry": "🗑 Hapus entri",
    "btn-back-case": "⬅️ Kembali ke berkas",
    "entry-removed": "Entri #{number} dihapus.",
    "draft-ask-file": "Silakan kirim dokumen draf daftar informasi (pdf, doc/docx, xls/xlsx, odt/ods, csv).",
    "draft-file-saved": "Lampiran draf *{name}* diterima.",
    "sent-to-utama": "Terima kasih. Berkas {opd} sudah dikirim ke PPID Utama; telaah {deadline}.",
    # --- step 2 and 4 -------------------------------------------------------------------------
    "btn-approve-forward": "✅ Setujui, teruskan ke OPD",
    "btn-return": "↩️ Kembalikan untuk revisi",
    "btn-fix-category": "🏷 Koreksi kategori",
    "ask-return-reason": "Mohon tulis alasan pengembalian untuk Pejabat PID:",
    "draft-approved": "Draf {opd} disetujui dan diteruskan ke PPID Pendukung, {deadline}.",
    "draft-returned": "Draf {opd} dikembalikan ke Pejabat PID; revisi {deadline}.",
    "pick-entry-category": "Pilih entri yang kategorinya dikoreksi:",
    "category-fixed": "Kategori entri #{number} diubah menjadi {category}.",
    "btn-approve-all": "✅ Setujui semua, teruskan ke Pejabat PID",
    "btn-return-entries": "↩️ Kembalikan entri tertentu",
    "btn-show-docs": "📄 Dokumen #{number}",
    "pick-return-entries": "Pilih entri yang dikembalikan ke OPD, lalu Lanjut. Terpilih: {count}.",
    "btn-continue": "Lanjut ➡️",
    "ask-return-note": "Mohon tulis catatan untuk OPD tentang entri yang dikembalikan:",
    "docs-approved": "Dokumen {opd} disetujui dan diteruskan ke Pejabat PID untuk diterbitkan, {deadline}.",
    "entries-returned": "{count} entri dikembalikan ke {opd}; perbaikan {deadline}. Entri lain tetap disetujui.",
    "docs-of-entry": "Dokumen entri #{number} {title}: {count} lampiran.",
    "no-docs": "Entri #{number} tidak memiliki dokumen.",
    "pick-return-documents": "Dokumen entri yang dikembalikan ditolak (tidak akan diterbitkan) kecuali Bapak/Ibu ketuk untuk mempertahankannya.",
    "btn-docs-rejected": "❌ Dokumen #{number}: ditolak",
    "btn-docs-kept": "📎 Dokumen #{number}: dipertahankan",
    "entries-returned-rejected": " {count} dokumen ditolak dan tidak akan diterbitkan.",
    "btn-reject-doc": "❌ Tolak {name}",
    "ask-reject-doc": "Mohon tulis alasan dokumen *{name}* (entri #{number}) ditolak. Alasan ini dibaca OPD:",
    "doc-rejected": "Dokumen *{name}* entri #{number} ditolak; tidak akan diterbitkan.",
    "refused-entry-not-in-review": "Entri #{number} tidak sedang diperiksa; dokumennya tidak dapat ditolak.",
    "refused-entry-without-documents": "Semua dokumen entri #{number} sudah ditolak. Kembalikan entri ini ke OPD agar dokumen perbaikan dikirim.",
    # --- step 3 --------------------------------------------------------------------------------
    "progress": "{done} dari {total} entri lengkap",
    "state-none": " — belum",
    "state-documents": " — ✅ {count} dokumen",
    "state-not_held": " — tidak dikuasai",
    "state-exempt": " — usul dikecualikan",
    "state-exempt-accepted": " — 🔒 dikecualikan (disetujui)",
    "state-not_held-accepted": " — tidak dikuasai (disetujui)",
    "state-returned": " — ↩️ dikembalikan: {note}",
    "state-approved": " — disetujui",
    "state-published": " — 🌐 terbit",
    "state-rejected-docs": " · ❌ {count} dokumen ditolak",
    "doc-line-current": "📎 {name}",
    "doc-line-rejected": "❌ {name} — ditolak: {reason}",
    "docs-heading": "Dokumen:",
    "btn-remove-doc": "🗑 Hapus {name}",
    "ask-remove-doc": "Mohon tulis alasan singkat dokumen *{name}* (entri #{number}) dihapus:",
    "doc-removed": "Dokumen *{name}* dihapus dari entri #{number} dan tidak akan diterbitkan. {progress}.",
    "refused-unknown-document": "Dokumen tidak ditemukan atau bukan milik entri ini.",
    "refused-document-gone": "Dokumen *{name}* sudah dihapus atau ditolak sebelumnya.",
    "refused-file-rejected-before": "Dokumen ini sama dengan *{name}* yang sudah ditolak PPID Utama ({reason}). Mohon kirim versi yang sudah diperbaiki.",
    "btn-send-files": "📎 Kirim dokumen",
    "btn-not-held": "🚫 Tidak dikuasai",
    "btn-exempt": "🔒 Usulkan dikecualikan",
    "ask-files": "Silakan kirim dokumen untuk entri #{number} *{title}* (boleh beberapa lampiran). Jika sudah, ketuk Selesai.",
    "btn-done": "✅ Selesai",
    "file-saved": "Dokumen *{name}* diterima untuk entri #{number}. {progress}.",
    "file-duplicate": "Dokumen *{name}* sudah pernah diterima untuk entri ini; tidak disimpan dua kali.",
    # --- the data check of a received document (personal data) ---------------------------------
    "pdata-found": "⚠️ Dokumen ini tampaknya memuat {items}. Data pribadi warga tidak boleh diterbitkan: mohon hitamkan (sensor) lalu kirim ulang, atau hapus dokumen ini.",
    "pdata-kind-nik": "{count} NIK",
    "pdata-kind-kk": "{count} nomor KK",
    "pdata-kind-phone": "{count} nomor HP",
    "pdata-kind-email": "{count} alamat surel",
    "pdata-places-page": "{items} (halaman {places})",
    "pdata-places-sheet": "{items} (lembar {places})",
    "pdata-and": "{first} dan {last}",
    "pdata-doc": "📄 *{name}*\n{said}",
    "pdata-unchecked": "ℹ️ Dokumen ini tidak dapat diperiksa otomatis untuk data pribadi ({reason}). Mohon pastikan sendiri tidak ada NIK, nomor KK, nomor HP atau surel warga di dalamnya.",
    "pdata-unchecked-type": "jenis dokumen ini tidak memuat teks yang dapat dibaca",
    "pdata-unchecked-encrypted": "PDF terkunci sandi",
    "pdata-unchecked-no_text": "PDF hasil pindai, tanpa teks",
    "pdata-unchecked-unreadable": "dokumen rusak atau tidak terbaca",
    "pdata-unchecked-too_long": "pemeriksaan melebihi batas waktu",
    "pdata-unchecked-too_big": "dokumen terlalu besar untuk diperiksa",
    "pdata-partial": "ℹ️ Hanya {done} dari {total} halaman yang sempat diperiksa; halaman sisanya tidak dapat diperiksa.",
    "pdata-partial-some": "ℹ️ Hanya sebagian isi dokumen yang sempat diperiksa; sisanya tidak dapat diperiksa.",
    "pdata-textless": "ℹ️ Halaman {places} tidak berteks (hasil pindai?) dan tidak dapat diperiksa.",
    "state-pdata": " — ⚠️ data pribadi: {items}",
    "state-pdata-unchecked": " — ❔ {count} dokumen tidak dapat diperiksa",
    "btn-return-pdata": "↩️ #{number} mengandung data pribadi",
    "return-pdata-note": "Mengandung data pribadi ({items}). Mohon hitamkan (sensor) lalu kirim ulang.",
    "ask-not-held": "Mohon tulis alasan entri #{number} tidak dikuasai OPD:",
    "not-held-saved": "Entri #{number} dicatat tidak dikuasai. {progress}.",
    "ask-exempt-ref": "Nomor/rujukan dokumen uji konsekuensi untuk entri #{number}?",
    "ask-exempt-until": "Sampai tanggal berapa pengecualian berlaku? Contoh: 31-12-2030",
    "exempt-saved": "Entri #{number} diusulkan dikecualikan sampai {until}. {progress}.",
    "bad-date": "Tanggal tidak dikenali. Mohon tulis seperti 31-12-2030.",
    # --- exemptions that expire ------------------------------------------------------------------
    "notice-exempt": "{head}: informasi dikecualikan *#{number} {title}* ({opd}) berlaku sampai {until} (uji konsekuensi: {reference}).\nKeputusan {deadline} ({left}): perpanjang dengan uji konsekuensi baru, atau buka untuk publik.",
    "notice-exempt-head-ask": "🔒 Perlu keputusan",
    "notice-exempt-head-reminder": "⏰ Pengingat",
    "notice-exempt-head-overdue": "⚠️ Terlambat",
    "notice-exempt-head-escalation": "🚨 Eskalasi",
    "notice-exempt-deciders": "\nYang memutuskan: PPID Utama dan PPID Pendukung {opd}.",
    "btn-exempt-extend": "🔒 Perpanjang",
    "btn-exempt-open": "🔓 Buka untuk publik",
    "ask-exempt-ext-ref": "Perpanjang pengecualian #{number} {title}: nomor/rujukan uji konsekuensi yang baru?",
    "exempt-extended": "🔒 Pengecualian #{number} {title} diperpanjang sampai {until} (uji konsekuensi: {reference}).",
    "pick-exempt-category": "Buka #{number} {title} untuk publik: pilih kategorinya. Entri kembali ke OPD untuk dilengkapi dokumennya (langkah 3), diperiksa PPID Utama (langkah 4), lalu diterbitkan (langkah 5).",
    "exempt-open-note": "Pengecualian #{number} {title} dibuka untuk publik: mohon kirim dokumennya.",
    "exempt-opened": "🔓 #{number} {title} dibuka sebagai {category}. {opd} melengkapi dokumennya {deadline}.",
    "step3-sent": "Terima kasih. Dokumen {opd} dikirim ke PPID Utama; pemeriksaan {deadline}.",
    # --- step 5 --------------------------------------------------------------------------------
    "btn-publish-site": "🌐 Terbitkan ke web PPID",
    "btn-withdraw": "🚫 Tarik #{number} dari web",
    "ask-withdraw": "Mohon tulis alasan penarikan entri #{number} {title} dari situs:",
    "withdrawn": "Entri #{number} ditarik dari situs PPID. Alasan tercatat.",
    "withdrawn-site-failed": "Entri #{number} sudah ditarik dari daftar dan alasannya tercatat, tetapi situs PPID belum berhasil diperbarui. Admin PPID sudah diberi tahu.",
    "state-withdrawn": " — 🚫 ditarik",
    "site-published": "Berkas {opd} sedang diterbitkan di web PPID: {published} entri terbit, {not_held} tidak dikuasai, {exempt} dikecualikan (tidak dipublikasikan). Situs diperbarui dalam beberapa saat.\n{links}",
    "site-no-public-url": "(Tautan belum dapat dikirim: alamat publik situs belum diatur. Admin PPID sudah diberi tahu.)",
    "refused-not-published": "Entri ini tidak sedang terbit di situs; tidak ada yang ditarik.",
    "btn-url-all": "🌐 Satu alamat untuk semua",
    "btn-url-entry": "🌐 Alamat #{number}",
    "btn-close-case": "✅ Tandai sudah terbit",
    "ask-url": "Alamat (URL) halaman entri #{number} di situs PPID Kota Pontianak?",
    "ask-url-all": "Alamat (URL) halaman di situs PPID tempat semua entri yang belum beralamat diterbitkan?",
    "url-saved": "Alamat dicatat untuk {count} entri.",
    "case-published": "Berkas {opd} selesai: {published} entri terbit, {not_held} tidak dikuasai, {exempt} dikecualikan. Terima kasih.",
    # --- spreadsheets and reports ---------------------------------------------------------------
    "template-sent": "Templat DIP terlampir. Isi di komputer (satu baris per informasi), lalu kirim kembali lewat 📎 Lampirkan draf pada langkah 1.",
    "export-empty": "Belum ada informasi publik yang terbit untuk diekspor.",
    "export-sent": "Daftar Informasi Publik ({count} informasi) dalam xlsx dan csv.",
    "report-empty": "Belum ada data tugas untuk laporan.",
    "report-head": "*Laporan ketepatan waktu*",
    "report-chart-title": "Ketepatan waktu per OPD",
    "import-summary": "Spreadsheet DIP terbaca: {valid} baris siap diimpor, {invalid} baris bermasalah.",
    "import-more-errors": "… dan {count} masalah lain.",
    "import-stopped": (
        "Pembacaan berhenti di baris {row} setelah {blank} baris kosong berturut-turut; "
        "baris di bawahnya tidak dibaca."
    ),
    "import-refused": "Spreadsheet disimpan sebagai lampiran, tetapi tidak dapat diimpor: {reason}",
    "import-done": "{count} entri diimpor ke draf. Periksa dan lengkapi bila perlu.",
    "btn-import": "📥 Impor {count} baris yang valid",
    "btn-import-none": "Jangan impor",
    "refused-import-empty": "Tidak ada baris valid untuk diimpor.",
    "cmd-templat": "Templat spreadsheet DIP",
    "cmd-ekspor": "Ekspor Daftar Informasi Publik",
    "cmd-laporan": "Laporan ketepatan waktu",
    "cmd-pindah": "Pindah ke aplikasi chat lain (Telegram/WhatsApp)",
    "app-telegram": "Telegram",
    "app-whatsapp": "WhatsApp",
    "move-none": "Bot ini hanya berjalan di satu aplikasi chat; belum ada tempat untuk pindah.",
    "move-link": (
        "Untuk pindah ke {apps}, buka tautan berikut di HP Bapak/Ibu lalu kirim pesan yang"
        " muncul. Peran, tugas dan riwayat Bapak/Ibu ikut pindah; bot lalu hanya menulis di sana."
        " Tautan sekali pakai, berlaku sampai {until}.\n{links}"
    ),
    "help-move": "Ingin memakai aplikasi chat lain (Telegram atau WhatsApp)? Ketik /pindah.",
    # --- notices (to other people) --------------------------------------------------------------
    "notice-handover": "📥 Tugas baru: *{opd}* — {round}\n{step}\n{deadline}",
    "notice-on-behalf": "👤 a.n. {names} (Bapak/Ibu sebagai pengganti)\n",
    "notice-absence-stand-in": "🏖 Bapak/Ibu ditunjuk sebagai pengganti {name} ({role}) dari {starts} s.d. {ends}. Selama itu tugas, pengingat dan ringkasan untuk {name} datang kepada Bapak/Ibu, dan tindakan Bapak/Ibu dicatat atas nama {name}. Batas waktu tidak berubah.",
    "notice-absence-you": "🏖 Admin mencatat ketidakhadiran Bapak/Ibu dari {starts} s.d. {ends}; pengganti: {stand_in}. Selama itu Bapak/Ibu tidak menerima tugas, tetapi tetap dapat melihat status.",
    "notice-absence-back": "👋 Selamat kembali. Ketidakhadiran Bapak/Ibu ({starts} s.d. {ends}) sudah berakhir; {tasks} tugas terbuka kembali kepada Bapak/Ibu.",
    "notice-absence-handed-back": "👋 Ketidakhadiran {name} ({starts} s.d. {ends}) sudah berakhir. Tugasnya kembali kepada yang bersangkutan; terima kasih sudah menggantikan.",
    "notice-absence-withdrawn": "🏖 Ketidakhadiran {name} ({starts} s.d. {ends}) dibatalkan; Bapak/Ibu tidak jadi menggantikan.",
    "notice-absence-uncovered": "⚠️ Mulai {day} tidak ada {role} yang dapat bertindak: {name} tidak hadir ({starts} s.d. {ends}) dan pemegang peran lainnya juga tidak hadir tanpa pengganti. Mohon tunjuk pengganti (Plh/Plt).",
    "notice-task-uncovered": "⚠️ Tugas tanpa petugas: *{opd}* — {round}\n{step}\nSemua {role} sedang tidak hadir tanpa pengganti. Mohon tunjuk pengganti (Plh/Plt); {deadline}.",
    "notice-published": "🌐 Berkas *{opd}* ({round}) sudah diterbitkan: {published} entri terbit, {not_held} tidak dikuasai, {exempt} dikecualikan.",
    "notice-late": "⏳ (terkirim terlambat) ",
    "notice-backup-failed": (
        "⚠️ Cadangan harian PPID Bot gagal ({at}): {error}\nMohon periksa folder cadangan"
        " (PPID_BACKUP_DIR) dan ruang disk server. Cadangan dicoba lagi besok pada jam yang"
        " sama; bisa juga sekarang: python -m bot backup --out BERKAS.tar.gz"
    ),
    "notice-site-failed": (
        "⚠️ Situs DIP gagal diperbarui ({at}): {error}\nSitus publik tetap menampilkan versi"
        " sebelumnya. Mohon periksa ruang disk server dan folder data bot; setelah diperbaiki,"
        " situs diperbarui pada penerbitan berikutnya, atau sekarang: python -m bot web build."
        " Kegagalan berikutnya tidak dilaporkan lagi sampai situs berhasil diperbarui."
    ),
    "notice-bot-error": (
        "⚠️ Terjadi kesalahan tak terduga di PPID Bot ({at}): {kind} di {where}. Rinciannya ada"
        " di log server (journalctl -u ppid-bot). Kesalahan yang sama tidak dilaporkan lagi"
        " selama satu jam."
    ),
    "notice-reminder": "⏰ Pengingat: *{opd}* — {round}\n{step}\n{deadline} ({left}).{missing}",
    "notice-left-days": "sisa {days} hari kerja",
    "notice-left-hours": "sisa ± {hours} jam kerja",
    "notice-left-minutes": "sisa kurang dari 1 jam kerja",
    "notice-over-days": "terlambat {days} hari kerja",
    "notice-over-today": "lewat batas pukul {at}",
    "notice-overdue": "⚠️ Terlambat: *{opd}* — {round}\n{step}\nBatasnya {deadline_plain} ({left}). Mohon segera diselesaikan.{missing}",
    "notice-escalation-1": "🚨 Eskalasi: {step} untuk *{opd}* ({round}) melewati batas {deadline_plain} ({left}).\nPelaksana: {assignees}.{missing}",
    "notice-escalation-2": "🚨 Eskalasi tingkat 2: {step} untuk *{opd}* ({round}) masih terlambat sejak {deadline_plain} ({left}).\nPelaksana: {assignees}.{missing}",
    "notice-missing": "\n{missing} dari {total} entri belum lengkap.",
    "notice-nobody": "belum ada petugas",
    "notice-assignee-on-behalf": "{name} a.n. {names}",
    "notice-moved": "📅 Batas waktu berubah karena perubahan hari kerja.\n*{opd}* — {step}\nBatas baru {deadline} (sebelumnya {old}).",
    "notice-digest-head": "☀️ Ringkasan tugas {day}",
    "notice-bundle-head": "🔔 Ada {count} berkas yang perlu perhatian Bapak/Ibu.",
    "notice-digest-overdue": "\n*Terlambat:*",
    "notice-digest-due": "\n*Jatuh tempo hari ini:*",
    "notice-digest-soon": "\n*Mendekati batas:*",
    "notice-digest-line": "{n}. {opd} — {step}: {left} (batas {due}){tags}",
    "notice-tag-escalation": " · eskalasi",
    "notice-tag-handover": " · tugas baru",
    "notice-tag-deadline_moved": " · batas waktu baru",
    "notice-tag-late": " · ⏳ terkirim terlambat",
    "notice-bundle-page": "\nHalaman {page} dari {pages} ({count} berkas).",
    "notice-no-longer": (
        "Pemberitahuan ini sudah tidak berlaku: berkasnya sudah berpindah tahap."
        " Ketik *menu* untuk melihat tugas Bapak/Ibu."
    ),
    # The short notices sent as WhatsApp templates outside the 24-hour window. Meta reviews
    # their wording: change a body only together with a new template name (bot.channels.whatsapp).
    "brief-handover": (
        "📥 Tugas baru PPID untuk Bapak/Ibu: {opd}, {step}, {deadline}."
        " Tekan Buka tugas untuk melihat rinciannya."
    ),
    "brief-reminders": (
        "⏰ Pengingat PPID: {count} berkas menunggu Bapak/Ibu. Paling mendesak: {top}, {deadline}."
        " Tekan Buka tugas untuk melihat semuanya."
    ),
    "brief-notice": (
        "🔔 Ada pemberitahuan PPID untuk Bapak/Ibu tentang {subject}. Tekan Buka pesan untuk"
        " membacanya."
    ),
    "brief-btn-tasks": "Buka tugas",
    "brief-btn-message": "Buka pesan",
    "brief-published": "hasil publikasi DIP",
    "brief-unreachable": "petugas yang tidak dapat dihubungi",
    "brief-send_failed": "pesan yang gagal terkirim",
    "brief-delivery_failed": "pesan yang gagal terkirim",
    "brief-backup_failed": "cadangan data yang gagal",
    "brief-bot_error": "gangguan pada bot",
    "brief-setting_missing": "pengaturan yang perlu dilengkapi",
    "brief-other": "pemberitahuan baru",
    "notice-bundle-empty": "Semua berkas dalam pesan ini sudah ditangani.",
    "fit-list-button": "Pilih",
    "picker-hint": "Balas dengan nomor untuk memilih atau membatalkan pilihan, mis. 2 atau 1 3 atau 2-5.",
    "picker-bad-numbers": (
        "Mohon balas dengan nomor dari daftar (1 sampai {count}), mis. 1 3 atau 2-5;"
        " atau pilih tombol di bawah."
    ),
    "fit-list-title": "Pilihan",
    "fit-more-actions": "Pilihan lainnya ({page}/{pages}):",
    "btn-prev": "◀️ Sebelumnya",
    "btn-next": "Berikutnya ▶️",
    "notice-unreachable": "⚠️ Pesan untuk {name} ({role}) tidak dapat dikirim: {reason}.\nPemberitahuan untuk beliau ditahan sampai beliau menulis lagi ke bot; eskalasi tetap dikirim ke petugas lain. Mohon hubungi yang bersangkutan, lalu pilih di bawah ini.",
    "notice-send-failed": "⚠️ Sebuah pemberitahuan untuk {name} ({role}) ditolak aplikasi chat-nya karena kesalahan teknis dan tidak terkirim. Rinciannya ada di log bot; mohon teruskan kepada pengelola sistem.",
    "unreachable-blocked": "beliau memblokir bot",
    "unreachable-gone": "percakapan dengan beliau tidak ditemukan",
    "unreachable-refused": "Telegram menolak pesannya",
    "unreachable-wa-gone": "nomor beliau tidak dapat menerima pesan WhatsApp",
    "unreachable-wa-refused": "WhatsApp menolak pesannya",
    "btn-reach-retry": "🔁 Coba kirim lagi",
    "btn-reach-deactivate": "🚫 Nonaktifkan",
    "refused-reach-settled": "{name} sudah dapat dihubungi lagi atau sudah ditangani; tidak ada yang perlu dilakukan.",
    "reach-retried": "Baik. Pemberitahuan untuk {name} akan dikirim lagi pada jam kerja.",
    "reach-deactivated": "{name} sudah dinonaktifkan; tugasnya tidak lagi dikirim kepada beliau.",
    "notice-setting-missing": "⚙️ Pengaturan {setting} belum diisi: {why} Isi di .env lalu jalankan ulang bot, contoh: {example}",
    "why-public-base-url": "tautan web PPID belum dapat dikirim kepada petugas.",
    # --- refusals -------------------------------------------------------------------------------
    "refused-inactive": "Mohon maaf, akun Bapak/Ibu sudah dinonaktifkan. Hubungi admin PPID bila ini keliru.",
    "refused-case-closed": "Berkas ini sudah selesai diterbitkan; tidak ada yang perlu dilakukan.",
    "refused-wrong-step": "Berkas ini sudah berada di langkah lain; tombol ini tidak berlaku lagi.",
    "refused-role": "Mohon maaf, langkah ini bukan tugas peran Bapak/Ibu.",
    "refused-opd": "Mohon maaf, berkas ini milik OPD lain.",
    "refused-absent": "Mohon maaf, Bapak/Ibu tercatat tidak hadir sampai {until}, jadi tidak dapat bertindak; tugas ditangani pengganti ({stand_in}). Sudah kembali? Akhiri lewat menu 🏖 Ketidakhadiran.",
    "refused-absent-open-ended": "Mohon maaf, Bapak/Ibu tercatat tidak menjabat (Plt: {stand_in}), jadi tidak dapat bertindak. Bila keliru, mohon hubungi admin PPID.",
    "refused-absence-open-ended": "Mohon maaf, hanya admin yang dapat menunjuk Plt tanpa tanggal selesai. Mohon tulis tanggal selesainya.",
    "refused-absence-past": "Mohon maaf, tanggal itu sudah lewat. Ketidakhadiran dicatat mulai hari ini ({today}) atau sesudahnya.",
    "refused-absence-order": "Mohon maaf, tanggal selesai tidak boleh sebelum tanggal mulai ({starts}). Mohon tulis lagi.",
    "refused-absence-too-long": "Mohon maaf, ketidakhadiran paling lama {days} hari. Untuk jabatan yang kosong, mohon admin menunjuk Plt.",
    "refused-absence-overlap": "Mohon maaf, waktu itu bertumpuk dengan ketidakhadiran yang sudah dicatat ({starts} s.d. {ends}). Akhiri yang lama dulu, lalu catat lagi.",
    "refused-absence-is-stand-in": "Mohon maaf, pada waktu itu yang bersangkutan menjadi pengganti {name} ({starts} s.d. {ends}). Mohon tunjuk pengganti lain untuk {name} dulu.",
    "refused-absence-only-holder": "Mohon maaf, tidak ada petugas lain dengan peran yang sama (untuk PPID Pendukung: di OPD yang sama) yang dapat mengambil alih, sehingga tugas akan terbengkalai. Mohon admin mengundang pengganti dulu, lalu catat lagi dengan pengganti itu.",
    "refused-absence-person": "Mohon maaf, ketidakhadiran petugas ini tidak dapat dicatat (tidak aktif, atau perannya tidak menerima tugas).",
    "refused-absence-unknown": "Mohon maaf, catatan ketidakhadiran itu tidak ditemukan.",
    "refused-absence-ended": "Ketidakhadiran itu sudah diakhiri sebelumnya.",
    "refused-stand-in-self": "Mohon maaf, pengganti harus orang lain.",
    "refused-stand-in-inactive": "Mohon maaf, pengganti itu tidak aktif lagi. Mohon pilih yang lain.",
    "refused-stand-in-role": "Mohon maaf, pengganti harus memegang peran yang sama.",
    "refused-stand-in-opd": "Mohon maaf, pengganti PPID Pendukung harus dari OPD yang sama.",
    "refused-stand-in-absent": "Mohon maaf, {name} sendiri tercatat tidak hadir ({starts} s.d. {ends}). Mohon pilih pengganti lain.",
    "refused-stale": "Tombol ini sudah tidak berlaku; berkas telah berubah. Silakan buka lagi dari Tugas saya.",
    "refused-stale-by": "Berkas ini sudah diproses oleh {name} pada {at}.",
    "refused-stale-newest": "Tombol ini dari pesan lama. Berkas ini kini menunggu Bapak/Ibu: mohon gunakan pesan terbaru di bawah ini.",
    "refused-stale-self": "Tindakan Bapak/Ibu sudah tercatat pada {at}. Berkas kini di {step}.",
    "refused-bad-button": "Mohon maaf, tombol ini tidak dikenali. Silakan buka menu.",
    "refused-empty-text": "Isian tidak boleh kosong. Mohon tulis lagi.",
    "refused-too-long": "Isian terlalu panjang (paling banyak {limit} karakter). Mohon persingkat.",
    "refused-draft-empty": "Draf masih kosong. Tambahkan paling sedikit satu entri atau lampirkan dokumen draf.",
    "refused-approve-without-entries": "Draf belum berisi entri. Kembalikan ke Pejabat PID agar entri diisi.",
    "refused-unresolved": "Masih ada {missing} dari {total} entri yang belum lengkap. Lengkapi dulu sebelum mengirim.",
    "refused-entry-approved": "Entri #{number} sudah disetujui dan tidak perlu diubah.",
    "refused-exempt-reference": "Rujukan uji konsekuensi wajib diisi untuk mengusulkan pengecualian.",
    "refused-exempt-until-past": "Tanggal akhir pengecualian harus setelah hari ini.",
    "refused-exempt-decided": "Pengecualian ini sudah diputuskan (diperpanjang atau dibuka).",
    "refused-exempt-not-later": "Tanggal baru harus sesudah tanggal berakhir sekarang ({until}).",
    "refused-exempt-case-busy": "Berkas entri ini masih berjalan; mohon buka pengecualiannya setelah berkas selesai.",
    "refused-nothing-chosen": "Belum ada entri yang dipilih untuk dikembalikan.",
    "refused-urls-missing": "Masih ada {missing} entri tanpa alamat terbit. Catat alamatnya dulu.",
    "refused-url": "Alamat tidak valid. Contoh: https://ppid.pontianak.go.id/informasi/123",
    "refused-forms": "Bentuk harus berisi cetak, softcopy dan/atau online.",
    "refused-unknown-entry": "Entri tidak ditemukan atau tidak berlaku lagi.",
    "refused-unknown-case": "Berkas tidak ditemukan.",
    "refused-unknown-number": "Entri #{number} tidak ada di berkas OPD Bapak/Ibu. Periksa nomor entri di daftar.",
    "refused-no-step3-case": "Saat ini tidak ada berkas OPD Bapak/Ibu yang menunggu dokumen.",
    "refused-round-name": "Nama putaran wajib diisi.",
    "refused-round-empty": "Pilih paling sedikit satu OPD untuk putaran ini.",
    "refused-unknown-user": "Petugas dengan nomor {id} tidak ditemukan.",
    "refused-user-already-inactive": "Petugas dengan nomor {id} sudah nonaktif.",
    "refused-unknown-opd": "OPD {code} tidak dikenal.",
    "refused-invite-malformed": "Tautan undangan tidak valid. Mohon minta tautan baru kepada admin PPID.",
    "refused-invite-unknown": "Tautan undangan tidak dikenal. Mohon minta tautan baru kepada admin PPID.",
    "refused-invite-used": "Tautan undangan ini sudah dipakai. Setiap tautan hanya berlaku sekali; mohon minta tautan baru.",
    "refused-invite-expired": "Tautan undangan ini sudah kedaluwarsa. Mohon minta tautan baru kepada admin PPID.",
    "refused-already-joined": "Bapak/Ibu sudah terdaftar; tautan undangan tidak dipakai.",
    "refused-invite-needs-opd": "Undangan PPID Pendukung harus menyebut OPD-nya.",
    "refused-invite-opd-only-pendukung": "OPD hanya diisi untuk undangan PPID Pendukung.",
    "refused-file-too_big": "Dokumen terlalu besar. Batasnya {limit} MB; mohon perkecil atau pecah dokumennya.",
    "refused-file-type": "Jenis dokumen ini tidak diterima. Kirim pdf, doc/docx, xls/xlsx, odt/ods, csv, jpg/png atau zip.",
    "refused-file-empty": "Dokumen kosong. Mohon kirim dokumen yang berisi.",
    "refused-file-mismatch": "Isi dokumen tidak sesuai dengan jenisnya (.{ext}). Mohon kirim dokumen asli.",
    "refused-file-download": "Dokumen gagal diunduh. Mohon kirim ulang sebentar lagi.",
    "invite-pick-role": "Undang petugas sebagai:",
    "invite-pick-opd": "PPID Pendukung untuk OPD mana?",
    "invite-created": "Tautan undangan {role}{opd} (sekali pakai, berlaku sampai {until}):\n{link}\nTeruskan tautan ini kepada petugas yang bersangkutan.",
    "error-db-trouble": (
        "Mohon maaf, sistem sedang gangguan sebentar. Pesan Bapak/Ibu tidak hilang: akan"
        " diproses otomatis begitu sistem pulih, tidak perlu dikirim ulang."
    ),
    "error-generic": (
        "Mohon maaf, terjadi kesalahan di sistem. Data Bapak/Ibu aman; silakan coba lagi "
        "sebentar lagi. Jika berulang, mohon hubungi admin PPID."
    ),
}


def plain(key: str, /, **values: object) -> str:
    """A catalogue sentence for the terminal, values inserted as they are."""
    return TEXTS[key].format(**values)


class Marked(str):
    """Text in the neutral markup already (a sentence from `t`): put into another sentence as it
    is, where any other text is escaped. Escaping it again would show the backslashes."""

    __slots__ = ()


def t(key: str, /, **values: object) -> str:
    """A catalogue sentence for a chat message in the neutral markup (`bot.channels.markup`),
    every value escaped so that nothing a person typed is read as markup (except sentences that
    `t` made already: it returns a `Marked`, typed as plain `str` so that callers may add to it
    freely)."""
    return Marked(TEXTS[key].format(**{k: _escape(v) for k, v in values.items()}))


def escape(value: object) -> Marked:
    """Text from a person or a file, made literal in a chat message."""
    if isinstance(value, Marked):
        return value
    return Marked(escape_markup(str(value)))


def _escape(value: object) -> object:
    if isinstance(value, int | float):
        return value
    return escape(value)
