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

function chosen() {
  const choice = stored();
  return choice === "light" || choice === "dark" ? choice : null;
}

/** The person's choice, else the system's: always written to <html data-theme>, which the CSS reads. */
function apply() {
  document.documentElement.dataset.theme = chosen() || (darkQuery.matches ? "dark" : "light");
}

/** "light" or "dark", as currently shown. */
export function currentTheme() {
  return document.documentElement.dataset.theme;
}

export function initTheme(onChange = () => {}) {
  apply();
  darkQuery.addEventListener("change", () => {
    apply();
    onChange(currentTheme());
  });
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
