// Rollcall's passkey ceremonies: the only script on the site. An element
// with data-passkey="register" or "signin" holds the begin and finish URLs;
// its #passkey-button starts the ceremony and #passkey-status shows progress.
// The server stores each ceremony and answers the finish request with where
// to go next, or a message to show.
(function () {
  'use strict';

  function fromB64url(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function toB64url(buf) {
    const bytes = new Uint8Array(buf);
    let bin = '';
    for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function creationOptions(pk) {
    pk.challenge = fromB64url(pk.challenge);
    pk.user.id = fromB64url(pk.user.id);
    (pk.excludeCredentials || []).forEach(function (c) { c.id = fromB64url(c.id); });
    return pk;
  }

  function requestOptions(pk) {
    pk.challenge = fromB64url(pk.challenge);
    (pk.allowCredentials || []).forEach(function (c) { c.id = fromB64url(c.id); });
    return pk;
  }

  // credentialJSON is the PublicKeyCredential in the JSON form the server
  // reads: the browser's own toJSON where it exists, built by hand elsewhere.
  function credentialJSON(cred) {
    if (typeof cred.toJSON === 'function') {
      try { return cred.toJSON(); } catch (e) { /* fall through */ }
    }
    const r = cred.response;
    const response = { clientDataJSON: toB64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64url(r.attestationObject);
      if (typeof r.getTransports === 'function') response.transports = r.getTransports();
    } else {
      response.authenticatorData = toB64url(r.authenticatorData);
      response.signature = toB64url(r.signature);
      if (r.userHandle) response.userHandle = toB64url(r.userHandle);
    }
    return {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: response
    };
  }

  async function post(url, body) {
    const res = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify(body || {})
    });
    let data = {};
    try { data = await res.json(); } catch (e) { data = {}; }
    if (!res.ok && !data.error && !data.location) {
      data.error = 'The server answered ' + res.status + '. Reload the page and try again.';
    }
    return data;
  }

  function withQuery(url, params) {
    const q = Object.keys(params).filter(function (k) { return params[k]; })
      .map(function (k) { return encodeURIComponent(k) + '=' + encodeURIComponent(params[k]); }).join('&');
    if (!q) return url;
    return url + (url.indexOf('?') < 0 ? '?' : '&') + q;
  }

  function setup(root) {
    const button = root.querySelector('#passkey-button');
    const status = root.querySelector('#passkey-status') || document.getElementById('passkey-status');
    const kind = root.dataset.passkey;
    let controller = null;

    function say(text, isError) {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle('error', !!isError);
    }

    function explain(err) {
      if (err && err.name === 'NotAllowedError') return 'The passkey request was cancelled or timed out. Try again when you are ready.';
      if (err && err.name === 'InvalidStateError') return 'This authenticator already holds a passkey for this account.';
      if (err && err.name === 'SecurityError') return 'This page is not allowed to use passkeys. Open Rollcall at its configured address.';
      return 'Something went wrong: ' + (err && err.message ? err.message : err);
    }

    async function finish(opts, cred) {
      const next = root.dataset.next || '';
      const result = await post(withQuery(root.dataset.finish, { ceremony: opts.ceremony, next: next }), credentialJSON(cred));
      if (result.location) {
        window.location.assign(result.location);
        return;
      }
      say(result.error || 'The passkey was not accepted.', true);
    }

    // run asks the browser for a passkey; username (sign-in only) limits
    // the request to that person's passkeys.
    async function run(mediation, username) {
      if (controller) controller.abort();
      controller = new AbortController();
      const signal = controller.signal;
      const opts = await post(withQuery(root.dataset.begin, { mediation: mediation || '' }), username ? { username: username } : {});
      if (opts.error) { say(opts.error, true); return; }
      let cred;
      if (kind === 'register') {
        cred = await navigator.credentials.create({ publicKey: creationOptions(opts.publicKey), signal: signal });
      } else {
        const req = { publicKey: requestOptions(opts.publicKey), signal: signal };
        if (mediation) req.mediation = mediation;
        cred = await navigator.credentials.get(req);
      }
      if (!cred) { say('No passkey was chosen.', true); return; }
      say(kind === 'register' ? 'Saving your passkey…' : 'Signing you in…');
      await finish(opts, cred);
    }

    if (!window.PublicKeyCredential || !navigator.credentials) {
      say('This browser does not support passkeys. Use a current version of Chrome, Edge, Firefox or Safari.', true);
      if (button) button.disabled = true;
      return;
    }

    async function start() {
      button.disabled = true;
      say(kind === 'register' ? 'Follow your browser to create the passkey…' : 'Choose your passkey…');
      const field = form ? form.querySelector('input[name="username"]') : null;
      try {
        await run('', field ? field.value.trim() : '');
      } catch (err) {
        if (!err || err.name !== 'AbortError') say(explain(err), true);
      } finally {
        button.disabled = false;
      }
    }

    // On the sign-in page the button submits the form, so Enter in the
    // Username field signs in as well; the form never reaches the server.
    const form = kind === 'signin' ? root.querySelector('form') : null;
    if (form && button) {
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        if (!button.disabled) start();
      });
    } else if (button) {
      button.addEventListener('click', start);
    }

    // Conditional UI: offer passkeys in the username field's autofill,
    // where the browser supports it. The button aborts this and asks again.
    if (kind === 'signin' && typeof PublicKeyCredential.isConditionalMediationAvailable === 'function') {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
        if (!ok) return;
        run('conditional').catch(function (err) {
          if (err && err.name !== 'AbortError' && err.name !== 'NotAllowedError') say(explain(err), true);
        });
      });
    }
  }

  // suggest fills the datalist of an input with data-suggest="URL" with
  // the people whose name starts with what was typed (the group page's
  // "Add member"); the URL answers JSON [{username, name, email}].
  function suggest(input) {
    const list = document.getElementById(input.getAttribute('list'));
    if (!list) return;
    let timer = null;
    let asked = '';
    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(async function () {
        const q = input.value.trim();
        if (!q || q === asked) return;
        asked = q;
        try {
          const res = await fetch(input.dataset.suggest + '?q=' + encodeURIComponent(q),
            { credentials: 'same-origin', headers: { 'Accept': 'application/json' } });
          if (!res.ok || input.value.trim() !== q) return;
          const people = await res.json();
          list.replaceChildren.apply(list, people.map(function (p) {
            const o = document.createElement('option');
            o.value = p.username;
            o.label = p.name + ' · ' + p.email;
            return o;
          }));
        } catch (e) { /* suggestions are a convenience only */ }
      }, 150);
    });
  }

  // copy puts the value of the input named by a button's data-copy on the
  // clipboard (the setup link), and says so.
  function copy(button) {
    button.addEventListener('click', async function () {
      const input = document.getElementById(button.dataset.copy);
      const status = document.getElementById('copy-status');
      if (!input) return;
      let ok = false;
      try {
        // A browser that neither allows nor refuses (an unfocused
        // window) gets the select-and-copy fallback after a second.
        await Promise.race([navigator.clipboard.writeText(input.value),
          new Promise(function (_, reject) { setTimeout(function () { reject(new Error('timeout')); }, 1000); })]);
        ok = true;
      } catch (e) {
        input.focus();
        input.select();
        try { ok = document.execCommand('copy'); } catch (e2) { ok = false; }
      }
      if (status) status.textContent = ok ? 'Copied.' : 'Select the link and copy it.';
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    // An OpenID Connect answer in response_mode=form_post goes on to the
    // application at once; its button is there for browsers without script.
    document.querySelectorAll('form[data-autosubmit]').forEach(function (f) { f.submit(); });
    document.querySelectorAll('button[data-copy]').forEach(copy);
    document.querySelectorAll('input[data-suggest][list]').forEach(suggest);
    document.querySelectorAll('[data-passkey]').forEach(setup);
    document.querySelectorAll('input[readonly].mono').forEach(function (el) {
      el.addEventListener('focus', function () { el.select(); });
    });
  });
})();
