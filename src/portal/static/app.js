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

// Domain availability, checked as the applicant types.
(() => {
  const input = document.querySelector("input[data-availability]");
  const status = document.getElementById("domain-status");
  if (!input || !status) return;
  let timer;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const domain = input.value.trim();
    if (!domain.includes(".")) return;
    timer = setTimeout(async () => {
      try {
        const r = await fetch(`${input.dataset.availability}?domain=${encodeURIComponent(domain)}`);
        if (!r.ok) return;
        const body = await r.json();
        status.textContent = body.available ? input.dataset.free : input.dataset.taken;
        status.dataset.available = String(body.available);
      } catch (_) { /* the server checks again on submit */ }
    }, 250);
  });
})();
