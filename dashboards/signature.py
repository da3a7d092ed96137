"""The customer's signature drawn on screen with a finger, a pen or the mouse (a custom component, v2: no iframe);
what was drawn comes back as a PNG data URL, kept by the sign-off as an image."""

from __future__ import annotations

import base64
import binascii

import streamlit as st

_HTML = """<div class="pad"><canvas aria-label="Signature"></canvas><button type="button">Clear</button></div>"""
_CSS = """
.pad { display: grid; gap: 8px; }
canvas { width: 100%; height: 180px; border: 2px dashed var(--st-border-color, #999); border-radius: 12px;
         background: #fff; touch-action: none; }
button { min-height: 48px; border-radius: 10px; border: 1px solid var(--st-border-color, #999);
         background: var(--st-background-color, #fff); color: var(--st-text-color, #111); font: inherit; }
"""
# Each finished stroke sends the whole drawing (state "png"); Clear sends an empty one.
_JS = """
export default function (component) {
  const { parentElement, setStateValue } = component;
  const canvas = parentElement.querySelector("canvas");
  if (canvas.dataset.ready) return;
  canvas.dataset.ready = "1";
  const scale = window.devicePixelRatio || 1;
  canvas.width = canvas.clientWidth * scale;
  canvas.height = canvas.clientHeight * scale;
  const pen = canvas.getContext("2d");
  pen.scale(scale, scale); pen.lineWidth = 2.5; pen.lineCap = "round"; pen.strokeStyle = "#111827";
  let last = null;
  const at = (e) => { const r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
  canvas.addEventListener("pointerdown", (e) => { canvas.setPointerCapture(e.pointerId); last = at(e); });
  canvas.addEventListener("pointermove", (e) => {
    if (!last) return;
    const point = at(e);
    pen.beginPath(); pen.moveTo(...last); pen.lineTo(...point); pen.stroke();
    last = point;
  });
  const done = () => { if (last) setStateValue("png", canvas.toDataURL("image/png")); last = null; };
  canvas.addEventListener("pointerup", done);
  canvas.addEventListener("pointercancel", done);
  parentElement.querySelector("button").addEventListener("click", () => {
    pen.clearRect(0, 0, canvas.width, canvas.height);
    setStateValue("png", "");
  });
}
"""

_pad = st.components.v2.component("repairops_signature", html=_HTML, css=_CSS, js=_JS)


def signature_pad(key: str) -> bytes | None:
    """Show a box to sign in; the PNG bytes of what is drawn in it, or None while it is empty."""
    result = _pad(key=key, on_png_change=lambda: None)
    drawn = str(getattr(result, "png", None) or "")
    if not drawn.startswith("data:image/png;base64,"):
        return None
    try:
        return base64.b64decode(drawn.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        return None
