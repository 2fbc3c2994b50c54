// Sphinx's search scorer (html_search_scorer), with one change: a page whose title holds every
// word of a multi-word query ranks above pages that match one word. Sphinx scores a page by its
// best single word, so "优化器 状态" (optimizer state) otherwise ties every page with 优化器 in its title.
var Scorer = {
  score: (result) => {
    const [, title, , , score] = result;
    const words = (new URLSearchParams(window.location.search).get("q") || "")
      .toLowerCase()
      .split(/\s+/)
      .filter((w) => w);
    const t = (title || "").toLowerCase();
    return words.length > 1 && words.every((w) => t.includes(w)) ? score + 20 : score;
  },
  // Sphinx 9.0's defaults
  objNameMatch: 11,
  objPartialMatch: 6,
  objPrio: { 0: 15, 1: 5, 2: -5 },
  objPrioDefault: 0,
  title: 15,
  partialTitle: 7,
  term: 5,
  partialTerm: 2,
};
