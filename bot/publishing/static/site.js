/* Daftar Informasi Publik: search and filters over the whole register, without dependencies.

   The index page carries no entry rows. The first time a visitor searches or filters (or opens
   a linked search, ?q=&kategori=&opd=), this script loads cari.json (the OPDs, the categories,
   one digit per entry), then for each query word the one part of the word index it needs
   (cari/t-<first two letters>.json), and for the cards it shows (at most LIMIT at a time) their
   blocks (cari/b<n>.json): a search at 25,000 entries fetches tens of kilobytes, not the
   register. The word index and the cards are kept by entry id (so that a publication changes
   only the parts its entries are in); cari.json gives each entry's id in register order. Every query word must start a word of the title, the whole summary, the OPD's code
   or name, the category or a file name (a one-letter word must be one), with case, accents,
   dashes, hyphens and punctuation folded. Data is only ever written as text (textContent),
   never as HTML.

   Written for old phone browsers too (ES5, no fetch, no URLSearchParams needed). Without this
   script the filter panel stays hidden and the lists by OPD and by category are the way in. */
(function () {
  "use strict";

  var LIMIT = 50;
  var MAX_QUERY = 200;
  var MAX_WORDS = 20;

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

  var base = (panel.getAttribute("data-index") || "cari.json").replace(/cari\.json.*$/, "");
  var version = (panel.getAttribute("data-index") || "").replace(/^[^?]*/, "");
  var cache = {}; // url -> parsed JSON, or null when it could not be loaded
  var waiting = {}; // url -> callbacks waiting for it
  var meta = null; // cari.json, with opdOf, ids (by position) and positionOf (by id) added
  var matches = [];
  var shown = 0;
  var run = 0; // the newest search: answers that arrive for an older one are dropped

  /* Lower case, accents off, every run of characters that is not a letter or a digit (spaces,
     dashes of all kinds, hyphens, underscores, punctuation) becomes one space. The site builder
     folds the same way (bot/publishing/pages.py). */
  function fold(text) {
    var value = String(text).toLowerCase();
    if (value.normalize) {
      value = value.normalize("NFD").replace(/[\u0300-\u036f]/g, "");
    }
    return value.replace(/[^0-9a-z\u00c0-\u1fff\u2c00-\ud7ff\uf900-\ufeff]+/g, " ");
  }

  function words(query) {
    var found = fold(query.slice(0, MAX_QUERY)).split(" ").filter(Boolean);
    var unique = [];
    found.forEach(function (word) {
      if (unique.indexOf(word) === -1) {
        unique.push(word);
      }
    });
    return unique.slice(0, MAX_WORDS);
  }

  /* The part of the word index a word lives in (as pages.shard_key). */
  function key(word) {
    var result = "";
    for (var i = 0; i < Math.min(2, word.length); i += 1) {
      var c = word.charAt(i);
      result += /[0-9a-z]/.test(c) ? c : "_" + word.charCodeAt(i).toString(16);
    }
    return result;
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


  /* Fetches each url once (JSON); calls done() when all of them have arrived. One that could not
     be loaded is null in the cache and is asked for again the next time it is needed. */
  function need(urls, done) {
    var missing = urls.filter(function (url) {
      return !(url in cache) || cache[url] === null;
    });
    if (!missing.length) {
      done();
      return;
    }
    var left = missing.length;
    missing.forEach(function (url) {
      var arrived = function () {
        left -= 1;
        if (left === 0) {
          done();
        }
      };
      if (waiting[url]) {
        waiting[url].push(arrived);
        return;
      }
      waiting[url] = [arrived];
      var request = new XMLHttpRequest();
      request.open("GET", url, true);
      request.onreadystatechange = function () {
        if (request.readyState !== 4) {
          return;
        }
        var parsed = null;
        if (request.status === 200) {
          try {
            parsed = JSON.parse(request.responseText);
          } catch (error) {
            parsed = null;
          }
        }
        cache[url] = parsed;
        var callbacks = waiting[url];
        delete waiting[url];
        callbacks.forEach(function (callback) {
          callback();
        });
      };
      request.send(null);
    });
  }

  function loadMeta(done) {
    var url = base + "cari.json" + version;
    need([url], function () {
      var parsed = cache[url];
      if (!parsed || !parsed.opd || !parsed.kategori || !parsed.t || typeof parsed.k !== "string" ||
          !parsed.i) {
        status.textContent =
          "Maaf, data pencarian tidak dapat dimuat. Silakan pilih perangkat daerah atau kategori di bawah.";
        return;
      }
      if (!meta) {
        cache[none] = {};
        meta = parsed;
        meta.opdOf = [];
        parsed.opd.forEach(function (opd, index) {
          for (var i = 0; i < opd[3]; i += 1) {
            meta.opdOf.push(index);
          }
        });
        meta.ids = [];
        meta.positionOf = {};
        var id = 0;
        (parsed.i || []).forEach(function (delta, position) {
          id += delta;
          meta.ids.push(id);
          meta.positionOf[id] = position;
        });
      }
      done();
    });
  }

  var none = base + "cari/-"; // a word no entry has a word starting with: nothing to fetch

  function shardUrl(word) {
    var part = key(word);
    if (meta && meta.t.indexOf(part) === -1) {
      return none;
    }
    return base + "cari/t-" + part + ".json" + version;
  }

  function blockUrl(position) {
    return base + "cari/b" + Math.floor(meta.ids[position] / meta.blok) + ".json" + version;
  }

  /* The card row of the entry at `position`: its block holds rows by ascending id. */
  function cardRow(position) {
    var id = meta.ids[position];
    var rows = cache[blockUrl(position)] || [];
    for (var i = 0; i < rows.length; i += 1) {
      if (rows[i][0] === id) {
        return rows[i];
      }
    }
    return [id, "", ""];
  }

  function text(tag, className, content) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    node.textContent = content;
    return node;
  }

  function card(position) {
    var row = cardRow(position);
    var opd = meta.opd[meta.opdOf[position]] || ["", ""];
    var kind = meta.kategori[Number(meta.k.charAt(position))] || ["", ""];
    var item = document.createElement("li");
    item.className = "card";
    item.setAttribute("data-category", kind[0]);
    item.setAttribute("data-opd", opd[0]);
    var heading = document.createElement("h3");
    var link = text("a", "", row[1]);
    link.href = "informasi/" + encodeURIComponent(String(row[0])) + ".html";
    heading.appendChild(link);
    item.appendChild(heading);
    var about = document.createElement("p");
    about.appendChild(text("span", "badge badge-" + kind[0], kind[1]));
    about.appendChild(text("span", "", opd[1]));
    item.appendChild(about);
    if (row[2]) {
      item.appendChild(text("p", "", row[2]));
    }
    return item;
  }

  /* Shows the next `count` matches once their cards' blocks are loaded. */
  function render(count, current) {
    var end = Math.min(matches.length, shown + count);
    var urls = [];
    for (var i = shown; i < end; i += 1) {
      var url = blockUrl(matches[i]);
      if (urls.indexOf(url) === -1) {
        urls.push(url);
      }
    }
    need(urls, function () {
      if (current !== run) {
        return;
      }
      if (urls.some(function (url) { return cache[url] === null; })) {
        status.textContent = "Maaf, pencarian gagal dimuat. Silakan coba lagi.";
        return;
      }
      var fragment = document.createDocumentFragment();
      for (var j = shown; j < end; j += 1) {
        fragment.appendChild(card(matches[j]));
      }
      list.appendChild(fragment);
      shown = end;
      var rest = matches.length - shown;
      more.hidden = rest <= 0;
      more.textContent = "Tampilkan " + Math.min(rest, LIMIT) + " informasi berikutnya";
      var total = meta.k.length;
      status.textContent =
        shown < matches.length
          ? "Ditemukan " + matches.length + " dari " + total + " informasi; " + shown + " ditampilkan."
          : "Menampilkan " + matches.length + " dari " + total + " informasi.";
      panel.setAttribute("data-run", String(current));
    });
  }

  /* The positions that have, for every query word, a word starting with it. */
  function lookup(wanted) {
    var total = meta.k.length;
    var hits = [];
    var last = [];
    for (var p = 0; p < total; p += 1) {
      hits.push(0);
      last.push(-1);
    }
    wanted.forEach(function (word, index) {
      var shard = cache[shardUrl(word)] || {};
      for (var token in shard) {
        if (Object.prototype.hasOwnProperty.call(shard, token) && token.indexOf(word) === 0) {
          var id = 0;
          var deltas = shard[token];
          for (var d = 0; d < deltas.length; d += 1) {
            id += deltas[d];
            var position = meta.positionOf[id];
            if (position !== undefined && last[position] !== index) {
              last[position] = index;
              hits[position] += 1;
            }
          }
        }
      }
    });
    return hits;
  }

  function apply(updateUrl) {
    if (updateUrl) {
      remember();
    }
    run += 1;
    var current = run;
    var wanted = words(search.value);
    var wantedCategory = category.value;
    var wantedUnit = unit.value;
    if (!wanted.length && !wantedCategory && !wantedUnit) {
      results.hidden = true;
      status.textContent = search.value.trim() ? "Ketik huruf atau angka untuk mencari." : "";
      panel.setAttribute("data-run", String(current));
      return;
    }
    if (!meta) {
      status.textContent = "Memuat data pencarian…";
    }
    loadMeta(function () {
      var urls = wanted.map(shardUrl);
      if (urls.some(function (url) { return !cache[url]; })) {
        status.textContent = "Mencari…";
      }
      need(urls, function () {
        if (current !== run) {
          return;
        }
        var failed = urls.some(function (url) {
          return cache[url] === null;
        });
        if (failed) {
          status.textContent = "Maaf, pencarian gagal dimuat. Silakan coba lagi.";
          return;
        }
        var categoryIndex = -1;
        var unitIndex = -1;
        meta.kategori.forEach(function (kind, i) {
          if (kind[0] === wantedCategory) {
            categoryIndex = i;
          }
        });
        meta.opd.forEach(function (opd, i) {
          if (opd[0] === wantedUnit) {
            unitIndex = i;
          }
        });
        var hits = wanted.length ? lookup(wanted) : null;
        var found = [];
        for (var p = 0; p < meta.k.length; p += 1) {
          if (hits && hits[p] !== wanted.length) {
            continue;
          }
          if (wantedCategory && Number(meta.k.charAt(p)) !== categoryIndex) {
            continue;
          }
          if (wantedUnit && meta.opdOf[p] !== unitIndex) {
            continue;
          }
          found.push(p);
        }
        matches = found;
        shown = 0;
        while (list.firstChild) {
          list.removeChild(list.firstChild);
        }
        results.hidden = false;
        empty.hidden = matches.length !== 0;
        render(LIMIT, current);
      });
    });
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
  search.addEventListener("focus", function () {
    loadMeta(function () {}); // fetched while the visitor types the first word
  });
  more.addEventListener("click", function () {
    render(LIMIT, run);
  });

  panel.hidden = false;
  apply(false);
})();
