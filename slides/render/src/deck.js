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

  // Fit: a slide whose content is taller or wider than its frame gets a
  // smaller font (--fit, in whole percents) until it fits, so nothing is
  // cut off in front of a room. The deck's own fonts make this rare; it is
  // for what they cannot control, such as a browser's minimum font size.
  // The tests fail a slide fitted below 85 %: authors still keep slides
  // short. Below MIN_FIT, shrinking would not help anyone read it.
  var MIN_FIT = 50;

  function overflows(slide) {
    var body = slide.querySelector(".body");
    if (body.scrollHeight > body.clientHeight + 1 || body.scrollWidth > body.clientWidth + 1) {
      return true;
    }
    return Array.prototype.some.call(slide.querySelectorAll("pre"), function (pre) {
      return pre.scrollWidth > pre.clientWidth + 1 || pre.scrollHeight > pre.clientHeight + 1;
    });
  }

  function fit(slide) {
    slide.style.removeProperty("--fit");
    var percent = 100;
    if (overflows(slide)) {
      // The largest percent that fits: it lies in [low, high].
      var low = MIN_FIT;
      var high = 99;
      while (low < high) {
        var middle = Math.ceil((low + high) / 2);
        slide.style.setProperty("--fit", String(middle / 100));
        if (overflows(slide)) {
          high = middle - 1;
        } else {
          low = middle;
        }
      }
      percent = low;
      slide.style.setProperty("--fit", String(percent / 100));
    }
    slide.dataset.fit = String(percent);
  }

  // Every slide, each shown alone for the moment it is measured (nothing
  // is drawn in between): the print view and the handout show them all.
  function fitAll() {
    var shown = slides.filter(function (slide) {
      return slide.classList.contains("current");
    });
    slides.forEach(function (slide) {
      slides.forEach(function (other) {
        other.classList.toggle("current", other === slide);
      });
      fit(slide);
    });
    slides.forEach(function (slide) {
      slide.classList.toggle("current", shown.indexOf(slide) !== -1);
    });
  }

  function show(n) {
    n = Math.min(Math.max(n, 1), slides.length);
    slides.forEach(function (slide, i) {
      slide.classList.toggle("current", i === n - 1);
    });
    current = n;
    fit(slides[n - 1]);
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
  window.addEventListener("resize", fitAll);
  window.addEventListener("beforeprint", fitAll);
  fromHash();
  fitAll();
  // Until a font has loaded, the browser lays its text out in another:
  // measure again once it has.
  if (document.fonts) {
    document.fonts.addEventListener("loadingdone", fitAll);
    document.fonts.ready.then(fitAll);
  }
})();
