// Shared by the pages of web/ (maintenance.html, console.html; embedded in the binary and served at
// /web/common.js): element lookup, the message line, the JSON API helper with Immich's error
// messages, sizes, the confirmation dialog and the names of a restore's tasks. Every server value
// goes into a page through textContent, never as HTML.
"use strict";
const $ = (id) => document.getElementById(id);
function show(id, visible) { $(id).hidden = !visible; }
function say(text) { $("message").textContent = text || ""; show("message", !!text); }

// A new element with its text (as text) and attributes.
function el(tag, text, attrs) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

async function api(method, path, body) {
  const options = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const res = await fetch(path, options);
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!res.ok) {
    const m = data && data.message;
    const err = new Error(Array.isArray(m) ? m.join("; ") : (m || res.status + " " + res.statusText));
    err.status = res.status;
    throw err;
  }
  return data;
}

function size(bytes) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0, v = bytes;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return (i ? v.toFixed(1) : v) + " " + units[i];
}

// The page's one confirmation dialog (#confirm-dialog, #confirm-text, #confirm-yes, #confirm-no),
// made on first use.
function confirmDialog() {
  if ($("confirm-dialog")) return $("confirm-dialog");
  const dialog = el("dialog", null, { id: "confirm-dialog", "aria-labelledby": "confirm-title" });
  const form = el("form", null, { method: "dialog" });
  const buttons = el("p");
  buttons.append(el("button", "Yes", { id: "confirm-yes", value: "yes", class: "danger" }), " ",
                 el("button", "Cancel", { id: "confirm-no", value: "no", class: "secondary", autofocus: "" }));
  form.append(el("h2", "Please confirm", { id: "confirm-title" }), el("p", null, { id: "confirm-text" }), buttons);
  dialog.append(form);
  document.body.append(dialog);
  return dialog;
}

function confirmAction(text, yesLabel) {
  return new Promise((resolve) => {
    const dialog = confirmDialog();
    $("confirm-text").textContent = text;
    $("confirm-yes").textContent = yesLabel;
    dialog.returnValue = "";
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
    dialog.showModal();
  });
}

const TASKS = {
  ready: "Getting ready", backup: "Making a safety backup", restore: "Restoring the backup",
  migrations: "Checking the restored library", swap: "Putting the restored library in place",
  rollback: "Rolling back", error: "The restore failed"
};

// The upload form of a page (#upload-form, #upload-file, #upload-progress, #upload-status): sends
// the chosen file to the backup upload route with its progress, then calls `uploaded`.
function uploadBackup(event, uploaded) {
  event.preventDefault();
  const file = $("upload-file").files[0];
  if (!file) return;
  say("");
  const form = new FormData();
  form.append("file", file);
  const xhr = new XMLHttpRequest();
  xhr.open("POST", "/api/admin/database-backups/upload");
  xhr.withCredentials = true;
  show("upload-progress", true);
  $("upload-status").textContent = "Uploading " + file.name + "…";
  xhr.upload.onprogress = (e) => { if (e.lengthComputable) $("upload-progress").value = Math.round(100 * e.loaded / e.total); };
  xhr.onload = async () => {
    show("upload-progress", false);
    if (xhr.status >= 200 && xhr.status < 300) {
      $("upload-status").textContent = "Uploaded " + file.name + ".";
      $("upload-form").reset();
      await uploaded();
    } else {
      let m = xhr.statusText;
      try { m = JSON.parse(xhr.responseText).message; } catch (e) {}
      $("upload-status").textContent = "Refused: " + file.name;
      say("The upload was refused: " + m);
    }
  };
  xhr.onerror = () => { show("upload-progress", false); say("The upload failed: the connection was lost."); };
  xhr.send(form);
}
