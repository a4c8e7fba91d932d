/* Daftar Informasi Publik: filters the register as the visitor types, without dependencies.
   Reads and writes ?q=&kategori=&opd= so a filtered view can be linked. Data is only ever
   read and written as text (textContent), never as HTML. Without this script every row stays
   visible and the filter panel stays hidden. */
(function () {
  "use strict";

  var panel = document.getElementById("saring");
  var form = document.getElementById("saring-form");
  var search = document.getElementById("cari");
  var category = document.getElementById("kategori");
  var unit = document.getElementById("opd");
  var status = document.getElementById("hasil");
  var empty = document.getElementById("kosong");
  if (!panel || !form || !search || !category || !unit || !status || !empty) {
    return;
  }
  if (typeof window.URLSearchParams !== "function") {
    return;
  }

  function fold(text) {
    var value = String(text).toLowerCase();
    if (value.normalize) {
      value = value.normalize("NFD").replace(/[\u0300-\u036f]/g, "");
    }
    return value.replace(/\s+/g, " ");
  }

  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-category]"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("section[data-opd]"));
  var texts = rows.map(function (row) {
    return fold(row.textContent || "");
  });

  function choose(select, value) {
    for (var i = 0; i < select.options.length; i += 1) {
      if (select.options[i].value === value) {
        select.value = value;
        return;
      }
    }
    select.value = "";
  }

  function remember() {
    if (!window.history || typeof window.history.replaceState !== "function") {
      return;
    }
    var params = new URLSearchParams(window.location.search);
    var pairs = [["q", search.value.trim()], ["kategori", category.value], ["opd", unit.value]];
    pairs.forEach(function (pair) {
      if (pair[1]) {
        params.set(pair[0], pair[1]);
      } else {
        params.delete(pair[0]);
      }
    });
    var query = params.toString();
    window.history.replaceState(
      null,
      "",
      window.location.pathname + (query ? "?" + query : "") + window.location.hash
    );
  }

  function apply(updateUrl) {
    var words = fold(search.value).trim().split(" ").filter(Boolean);
    var wantedCategory = category.value;
    var wantedUnit = unit.value;
    var shown = 0;
    rows.forEach(function (row, index) {
      var visible =
        (!wantedCategory || row.getAttribute("data-category") === wantedCategory) &&
        (!wantedUnit || row.getAttribute("data-opd") === wantedUnit) &&
        words.every(function (word) {
          return texts[index].indexOf(word) !== -1;
        });
      row.hidden = !visible;
      if (visible) {
        shown += 1;
      }
    });
    groups.forEach(function (group) {
      group.hidden = !group.querySelector("tr[data-category]:not([hidden])");
    });
    status.textContent = "Menampilkan " + shown + " dari " + rows.length + " informasi.";
    empty.hidden = shown !== 0 || rows.length === 0;
    if (updateUrl) {
      remember();
    }
  }

  var params = new URLSearchParams(window.location.search);
  search.value = params.get("q") || "";
  choose(category, (params.get("kategori") || "").toLowerCase().replace(/[\s-]+/g, "_"));
  choose(unit, params.get("opd") || "");

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

  panel.hidden = false;
  apply(false);
})();
