// Screen pops (REQ IN-2, decision 0080): the server's event stream says who is calling; the
// card pops at the corner of whatever page is open. A click on a number dials through the
// phone system when the user's extension does; otherwise the tel: link opens the softphone.
(() => {
  const pop = document.getElementById("telephony-pop");
  if (!pop) return;
  const field = (name) => pop.querySelector(`[data-pop="${name}"]`);
  function show(data) {
    field("number").textContent = data.number || "";
    const card = pop.querySelector("[data-pop-card]");
    const unknown = pop.querySelector("[data-pop-unknown]");
    card.hidden = data.kind !== "card";
    unknown.hidden = data.kind === "card";
    if (data.kind === "card") {
      field("label").textContent = data.label || "";
      field("title").textContent = data.title || "";
      field("url").href = data.url;
    } else {
      const lead = field("new_lead_url");
      lead.hidden = !data.new_lead_url;
      if (data.new_lead_url) lead.href = data.new_lead_url;
    }
    pop.dataset.call = data.call;
    pop.hidden = false;
  }
  pop.querySelector("[data-pop-close]").addEventListener("click", () => { pop.hidden = true; });
  if (window.EventSource) {
    const url = pop.dataset.streamUrl;
    const crossOrigin = new URL(url, location.href).origin !== location.origin;
    const source = new EventSource(url, { withCredentials: crossOrigin });
    source.addEventListener("open", () => { pop.dataset.listening = "1"; });
    source.addEventListener("pop", (event) => show(JSON.parse(event.data)));
  }
  const dialUrl = pop.dataset.dialUrl;
  if (!dialUrl) return;
  const messages = pop.querySelector("[data-dial-messages]").dataset;
  const token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  document.addEventListener("click", async (event) => {
    const link = event.target.closest("a.kesher-dial");
    if (!link) return;
    event.preventDefault();
    const body = new URLSearchParams({ number: link.dataset.dial });
    let status = "failed";
    try {
      const answer = await fetch(dialUrl, {
        method: "POST", body, headers: { "X-CSRFToken": token || "" }, credentials: "same-origin",
      });
      status = (await answer.json()).status || "failed";
    } catch (error) { status = "failed"; }
    link.title = messages[status] || messages.failed;
    if (status === "failed") window.location.href = link.href;
  });
})();
