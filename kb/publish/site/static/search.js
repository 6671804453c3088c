// Search page: runs Pagefind (built with the site) on ?q=... at load and on each query.
// Result text is copied as text nodes; only Pagefind's <mark> highlights are kept.
const form = document.getElementById("search-form");
const input = document.getElementById("q");
const status = document.getElementById("search-status");
const list = document.getElementById("results");
const PAGE = 30;
let pagefind = null;
let shown = [];
let serial = 0;

async function engine() {
  if (!pagefind) {
    pagefind = await import(new URL("../pagefind/pagefind.js", import.meta.url).href);
    // Result URLs are relative to the site's folder, wherever it is served from.
    await pagefind.options({ baseUrl: new URL(".", window.location.href).pathname });
  }
  return pagefind;
}

function excerpt(html) {
  const template = document.createElement("template");
  template.innerHTML = html; // inert: nothing in a template runs or loads
  const out = document.createDocumentFragment();
  for (const node of template.content.childNodes) {
    if (node.nodeType === Node.ELEMENT_NODE && node.tagName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      out.append(mark);
    } else {
      out.append(document.createTextNode(node.textContent));
    }
  }
  return out;
}

function item(data) {
  const li = document.createElement("li");
  const link = document.createElement("a");
  link.href = data.url;
  link.textContent = data.meta.title || data.url;
  const head = document.createElement("p");
  head.className = "result-title";
  if (data.meta.id) {
    const id = document.createElement("span");
    id.className = "id";
    id.textContent = data.meta.id + " ";
    link.prepend(id);
  }
  head.append(link);
  const text = document.createElement("p");
  text.className = "excerpt";
  text.append(excerpt(data.excerpt || ""));
  li.append(head, text);
  return li;
}

async function more() {
  const next = shown.splice(0, PAGE);
  const datas = await Promise.all(next.map((r) => r.data()));
  for (const data of datas) list.append(item(data));
  document.getElementById("more")?.remove();
  if (shown.length) {
    const button = document.createElement("button");
    button.id = "more";
    button.type = "button";
    button.textContent = `Show more (${shown.length} left)`;
    button.addEventListener("click", more);
    list.after(button);
  }
}

async function run(query) {
  const mine = ++serial;
  list.replaceChildren();
  document.getElementById("more")?.remove();
  if (!query.trim()) {
    status.textContent = "";
    return;
  }
  status.textContent = "Searching…";
  try {
    const found = await (await engine()).search(query);
    if (mine !== serial) return;
    shown = found.results.slice();
    const n = shown.length;
    status.textContent = n ? `${n} result${n === 1 ? "" : "s"} for “${query}”` : `Nothing found for “${query}”.`;
    await more();
  } catch (error) {
    status.textContent = "The search index could not be loaded: serve the site over http (python -m http.server).";
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const url = new URL(window.location.href);
  url.searchParams.set("q", input.value);
  window.history.replaceState(null, "", url);
  run(input.value);
});

const query = new URLSearchParams(window.location.search).get("q") || "";
input.value = query;
if (query) run(query);
