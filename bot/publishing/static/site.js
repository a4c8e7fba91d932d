/* Daftar Informasi Publik: search and filters over the whole register, without dependencies.

   The index page carries no entry rows: the first time a visitor searches or filters (or opens
   a linked search, ?q=&kategori=&opd=), this script loads cari.json, the compact search index,
   and shows the matching entries as cards, at most LIMIT at a time. A query is matched against
   the title, the whole summary, the OPD's code and name, the category and the file names, with
   case, accents, dashes, hyphens and punctuation folded; every word must occur. Data is only
   ever written as text (textContent), never as HTML.

   Written for old phone browsers too (ES5, no fetch, no URLSearchParams needed). Without this
   script the filter panel stays hidden and the lists by OPD and by category are the way in. */
(function () {
  "use strict";

  var LIMIT = 50;
  var MAX_QUERY = 200;
  var MAX_WORDS = 20;
  var SUMMARY = 200;

  var panel = document.getElementById("saring");
  var form = document.getElementById("saring-form");
  var search = document.getElementById("cari");
  var category = document.getElementById("kategori");
  var unit = document.getElementById("opd");
  var status = document.getElementById("hasil");
  var results = document.getElementById("hasil-bagian");
  var list = document.getElementById("hasil-daftar");
  var empty = document.getElementById("kosong");
  var more = document.getElementById("lagi");
  if (!panel || !form || !search || !category || !unit || !status || !results || !list ||
      !empty || !more || !window.XMLHttpRequest || !window.JSON) {
    return;
  }

  var data = null; // the parsed cari.json
  var haystacks = null; // per entry, its searchable text folded
  var loading = false;
  var failed = false;
  var matches = [];
  var shown = 0;

  /* Lower case, accents off, every run of characters that is not a letter or a digit (spaces,
     dashes of all kinds, hyphens, underscores, punctuation) becomes one space. */
  function fold(text) {
    var value = String(text).toLowerCase();
    if (value.normalize) {
      value = value.normalize("NFD").replace(/[\u0300-\u036f]/g, "");
    }
    value = value.replace(/[^0-9a-z\u00c0-\u1fff\u2c00-\ud7ff\uf900-\ufeff]+/g, " ");
    return " " + value + " ";
  }

  function words(query) {
    return fold(query.slice(0, MAX_QUERY)).split(" ").filter(Boolean).slice(0, MAX_WORDS);
  }

  function readParams() {
    var result = {};
    var query = window.location.search.replace(/^\?/, "");
    if (!query) {
      return result;
    }
    query.split("&").forEach(function (pair) {
      var at = pair.indexOf("=");
      var key = at < 0 ? pair : pair.slice(0, at);
      var value = at < 0 ? "" : pair.slice(at + 1);
      try {
        key = decodeURIComponent(key.replace(/\+/g, " "));
        value = decodeURIComponent(value.replace(/\+/g, " "));
      } catch (error) {
        return; // a malformed escape: that pair is ignored
      }
      if (!(key in result)) {
        result[key] = value;
      }
    });
    return result;
  }

  /* Chooses the option whose value equals `value` ignoring case, dashes and spaces. */
  function choose(select, value) {
    var wanted = fold(value || "");
    for (var i = 0; i < select.options.length; i += 1) {
      if (select.options[i].value && fold(select.options[i].value) === wanted) {
        select.value = select.options[i].value;
        return;
      }
    }
    select.value = "";
  }

  function remember() {
    if (!window.history || typeof window.history.replaceState !== "function") {
      return;
    }
    var pairs = [["q", search.value.trim()], ["kategori", category.value], ["opd", unit.value]];
    var parts = [];
    pairs.forEach(function (pair) {
      if (pair[1]) {
        parts.push(pair[0] + "=" + encodeURIComponent(pair[1]));
      }
    });
    window.history.replaceState(
      null,
      "",
      window.location.pathname + (parts.length ? "?" + parts.join("&") : "") + window.location.hash
    );
  }

  function load() {
    if (loading || data || failed) {
      return;
    }
    loading = true;
    status.textContent = "Memuat data pencarian…";
    var request = new XMLHttpRequest();
    request.open("GET", panel.getAttribute("data-index") || "cari.json", true);
    request.onreadystatechange = function () {
      if (request.readyState !== 4) {
        return;
      }
      loading = false;
      var parsed = null;
      if (request.status === 200) {
        try {
          parsed = JSON.parse(request.responseText);
        } catch (error) {
          parsed = null;
        }
      }
      if (!parsed || !parsed.informasi || !parsed.opd || !parsed.kategori) {
        failed = true;
        status.textContent =
          "Maaf, data pencarian tidak dapat dimuat. Silakan pilih perangkat daerah atau kategori di bawah.";
        return;
      }
      data = parsed;
      apply(false);
    };
    request.send(null);
  }

  function index() {
    if (haystacks) {
      return;
    }
    haystacks = data.informasi.map(function (row) {
      var opd = data.opd[row[1]] || ["", ""];
      var kind = data.kategori[row[2]] || ["", ""];
      return fold([row[3], row[4], opd[0], opd[1], kind[0], kind[1], row[5]].join(" "));
    });
  }

  function text(tag, className, content) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    node.textContent = content;
    return node;
  }

  function card(row) {
    var opd = data.opd[row[1]] || ["", ""];
    var kind = data.kategori[row[2]] || ["", ""];
    var item = document.createElement("li");
    item.className = "card";
    item.setAttribute("data-category", kind[0]);
    item.setAttribute("data-opd", opd[0]);
    var heading = document.createElement("h3");
    var link = text("a", "", row[3]);
    link.href = "informasi/" + encodeURIComponent(String(row[0])) + ".html";
    heading.appendChild(link);
    item.appendChild(heading);
    var about = document.createElement("p");
    about.appendChild(text("span", "badge badge-" + kind[0], kind[1]));
    about.appendChild(text("span", "", opd[1]));
    item.appendChild(about);
    var summary = String(row[4]);
    if (summary.length > SUMMARY) {
      summary = summary.slice(0, SUMMARY).replace(/\s+\S*$/, "") + "…";
    }
    if (summary) {
      item.appendChild(text("p", "", summary));
    }
    return item;
  }

  function render(count) {
    var end = Math.min(matches.length, shown + count);
    var fragment = document.createDocumentFragment();
    for (var i = shown; i < end; i += 1) {
      fragment.appendChild(card(data.informasi[matches[i]]));
    }
    list.appendChild(fragment);
    shown = end;
    var rest = matches.length - shown;
    more.hidden = rest <= 0;
    more.textContent = "Tampilkan " + Math.min(rest, LIMIT) + " informasi berikutnya";
    var total = data.informasi.length;
    status.textContent =
      shown < matches.length
        ? "Ditemukan " + matches.length + " dari " + total + " informasi; " + shown + " ditampilkan."
        : "Menampilkan " + matches.length + " dari " + total + " informasi.";
  }

  function apply(updateUrl) {
    if (updateUrl) {
      remember();
    }
    var wanted = words(search.value);
    var wantedCategory = category.value;
    var wantedUnit = unit.value;
    if (!wanted.length && !wantedCategory && !wantedUnit) {
      results.hidden = true;
      status.textContent = search.value.trim()
        ? "Ketik huruf atau angka untuk mencari."
        : "";
      return;
    }
    if (!data) {
      load();
      return;
    }
    index();
    var categoryIndex = -1;
    var unitIndex = -1;
    data.kategori.forEach(function (kind, i) {
      if (kind[0] === wantedCategory) {
        categoryIndex = i;
      }
    });
    data.opd.forEach(function (opd, i) {
      if (opd[0] === wantedUnit) {
        unitIndex = i;
      }
    });
    var rows = data.informasi;
    var found = [];
    for (var i = 0; i < rows.length; i += 1) {
      if (wantedCategory && rows[i][2] !== categoryIndex) {
        continue;
      }
      if (wantedUnit && rows[i][1] !== unitIndex) {
        continue;
      }
      var haystack = haystacks[i];
      var all = true;
      for (var w = 0; w < wanted.length; w += 1) {
        if (haystack.indexOf(wanted[w]) === -1) {
          all = false;
          break;
        }
      }
      if (all) {
        found.push(i);
      }
    }
    matches = found;
    shown = 0;
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    results.hidden = false;
    empty.hidden = matches.length !== 0;
    render(LIMIT);
  }

  var params = readParams();
  search.value = (params.q || "").slice(0, MAX_QUERY);
  choose(category, params.kategori);
  choose(unit, params.opd);

  form.addEventListener("input", function () {
    apply(true);
  });
  form.addEventListener("change", function () {
    apply(true);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    apply(true);
  });
  form.addEventListener("reset", function () {
    window.setTimeout(function () {
      apply(true);
    }, 0);
  });
  search.addEventListener("focus", load); // fetched while the visitor types the first word
  more.addEventListener("click", function () {
    render(LIMIT);
  });

  panel.hidden = false;
  apply(false);
})();
