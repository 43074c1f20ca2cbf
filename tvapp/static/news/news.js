/* News article: LEFT/RIGHT on the article text turn the page (ES5). */
(function () {
  if (!window.RemoteNav) { return; }
  function turn(attr) {
    return function (d) {
      var el = d && d.element, url = el && el.getAttribute(attr);
      if (!el || el.id !== 'article-text') { return true; }
      if (url) { window.location.href = url; }
      return false;  /* the text keeps focus at the first or last page */
    };
  }
  window.RemoteNav.on('LEFT', turn('data-news-prev'));
  window.RemoteNav.on('RIGHT', turn('data-news-next'));
}());
