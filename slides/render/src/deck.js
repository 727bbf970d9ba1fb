// Navigation: one slide at a time, its number in the URL (#3), so a reload
// or a shared link stays put. #all shows the handout: every slide and its
// notes. Keys: → ↓ PageDown Space next; ← ↑ PageUp Shift+Space previous;
// Home first; End last.
(function () {
  "use strict";
  var root = document.documentElement;
  var slides = Array.prototype.slice.call(document.querySelectorAll("section.slide"));
  var current = 0;
  root.classList.add("js");

  function setHash(hash) {
    if (location.hash === hash) return;
    try {
      history.replaceState(null, "", hash);
    } catch (e) {
      location.hash = hash;
    }
  }

  function show(n) {
    n = Math.min(Math.max(n, 1), slides.length);
    slides.forEach(function (slide, i) {
      slide.classList.toggle("current", i === n - 1);
    });
    current = n;
    setHash("#" + n);
  }

  function fromHash() {
    var hash = decodeURIComponent(location.hash.slice(1));
    var handout = hash === "all";
    root.classList.toggle("handout", handout);
    if (handout) return;
    var n = parseInt(hash, 10);
    show(isNaN(n) ? 1 : n);
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (root.classList.contains("handout")) return;
    var next;
    switch (event.key) {
      case "ArrowRight":
      case "ArrowDown":
      case "PageDown":
        next = current + 1;
        break;
      case " ":
      case "Spacebar":
        next = event.shiftKey ? current - 1 : current + 1;
        break;
      case "ArrowLeft":
      case "ArrowUp":
      case "PageUp":
        next = current - 1;
        break;
      case "Home":
        next = 1;
        break;
      case "End":
        next = slides.length;
        break;
      default:
        return;
    }
    event.preventDefault();
    show(next);
  });
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
