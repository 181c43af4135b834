// The customer's signature on a visit (kesher.service, decision 0088): drawn on the canvas
// with a finger, a pen or the mouse (pointer events), kept as a PNG data URL in the form's
// hidden "signature" field, which the server checks and attaches to the ticket as a file.
(() => {
  const start = (box) => {
    const canvas = box.querySelector("canvas");
    const field = box.querySelector('input[name="signature"]');
    const status = box.querySelector("[data-signature-status]");
    const ratio = Math.min(window.devicePixelRatio || 1, 2);
    const size = () => {
      const rect = canvas.getBoundingClientRect();
      canvas.width = Math.round(rect.width * ratio);
      canvas.height = Math.round(rect.height * ratio);
      const pen = canvas.getContext("2d");
      pen.scale(ratio, ratio);
      pen.lineWidth = 2.5;
      pen.lineCap = "round";
      pen.lineJoin = "round";
      pen.strokeStyle = "#111";
      field.value = "";
    };
    size();
    const pen = () => canvas.getContext("2d");
    let last = null;
    const point = (event) => {
      const rect = canvas.getBoundingClientRect();
      return { x: event.clientX - rect.left, y: event.clientY - rect.top };
    };
    canvas.addEventListener("pointerdown", (event) => {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      last = point(event);
      pen().beginPath();
      pen().arc(last.x, last.y, 1, 0, Math.PI * 2);
      pen().fill();
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!last) return;
      const next = point(event);
      const context = pen();
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
      last = next;
    });
    const end = () => {
      if (!last) return;
      last = null;
      field.value = canvas.toDataURL("image/png");
      if (status) status.textContent = box.dataset.signedText || "✓";
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("pointerleave", end);
    box.querySelector("[data-signature-clear]")?.addEventListener("click", () => {
      size();
      if (status) status.textContent = "";
    });
  };
  const ready = () => document.querySelectorAll("[data-signature]").forEach(start);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
