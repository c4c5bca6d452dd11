// Light and dark themes: follows prefers-color-scheme until the person picks one.

const KEY = "chainrule-theme";
const darkQuery = window.matchMedia("(prefers-color-scheme: dark)");

function stored() {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null; // storage can be disabled; the theme then lasts for this page only
  }
}

/** "light" or "dark", as currently shown. */
export function currentTheme() {
  return document.documentElement.dataset.theme || (darkQuery.matches ? "dark" : "light");
}

export function initTheme(onChange = () => {}) {
  const choice = stored();
  if (choice === "light" || choice === "dark") document.documentElement.dataset.theme = choice;
  darkQuery.addEventListener("change", () => onChange(currentTheme()));
  onChange(currentTheme());
}

export function toggleTheme(onChange = () => {}) {
  const next = currentTheme() === "dark" ? "light" : "dark";
  document.documentElement.dataset.theme = next;
  try {
    localStorage.setItem(KEY, next);
  } catch {
    // not persisted: see stored()
  }
  onChange(next);
  return next;
}
