// Small progressive enhancements; every page works without this file.
document.addEventListener("click", (ev) => {
  const btn = ev.target.closest("[data-copy]");
  if (!btn) return;
  const src = document.getElementById(btn.dataset.copy);
  if (src && navigator.clipboard) {
    navigator.clipboard.writeText(src.value || src.textContent);
    btn.textContent = btn.dataset.copied || "Copied";
  }
});
