// Signing with e.firma in the browser. The .cer, the .key and the password are read here and
// stay here: the .key is decrypted with Forge in this page's memory, the service receives only
// the certificate (public) and, once it has prepared the signature over the exact PDF, the
// signature value of the attributes it handed over. Nothing is sent until the key opens.
"use strict";

(function () {
  var form = document.getElementById("efirma");
  if (!form || !window.forge) { return; }
  var status = document.getElementById("efirma-estado");
  var button = form.querySelector("button[type=submit]");

  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? "aviso" : "nota";
    if (isError) { status.focus(); }
  }

  function bytesOf(file) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(new Uint8Array(reader.result)); };
      reader.onerror = function () { reject(new Error("read")); };
      reader.readAsArrayBuffer(file);
    });
  }

  function binary(bytes) {
    var out = "";
    for (var i = 0; i < bytes.length; i += 1) { out += String.fromCharCode(bytes[i]); }
    return out;
  }

  function openKey(keyBytes, password) {
    var asn1 = forge.asn1.fromDer(forge.util.createBuffer(binary(keyBytes)));
    var info;
    try {
      info = forge.pki.decryptPrivateKeyInfo(asn1, password);
    } catch (e) {
      info = null;
    }
    if (!info) { return null; }
    return forge.pki.privateKeyFromAsn1(info);
  }

  function post(url, fields) {
    var data = new FormData();
    Object.keys(fields).forEach(function (name) { data.append(name, fields[name]); });
    return fetch(url, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json" }, referrerPolicy: "no-referrer"
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) { throw new Error(body.mensaje || "No fue posible firmar."); }
        return body;
      });
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var cerFile = form.elements.certificado.files[0];
    var keyFile = form.elements.llave.files[0];
    var password = form.elements.contrasena.value;
    if (!cerFile || !keyFile || !password) {
      say("Elija su certificado (.cer), su llave privada (.key) y escriba la contraseña.", true);
      return;
    }
    button.disabled = true;
    say("Abriendo su llave privada en este equipo…", false);
    Promise.all([bytesOf(cerFile), bytesOf(keyFile)]).then(function (files) {
      var cerBytes = files[0];
      var key;
      try {
        key = openKey(files[1], password);
      } catch (e) {
        throw new Error("El archivo .key no es una llave privada de e.firma.");
      }
      if (!key) { throw new Error("La contraseña no abre la llave privada (.key). Revísela e intente de nuevo."); }
      var certificate;
      try {
        certificate = forge.pki.certificateFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(binary(cerBytes))));
      } catch (e) {
        throw new Error("El archivo .cer no es un certificado de e.firma.");
      }
      if (certificate.publicKey.n.compareTo(key.n) !== 0) {
        throw new Error("La llave privada (.key) no corresponde al certificado (.cer).");
      }
      form.elements.contrasena.value = "";
      say("Preparando la firma del documento…", false);
      return post("/firmar/efirma/preparar", {
        formulario: form.elements.formulario.value,
        certificado: new Blob([cerBytes], { type: "application/pkix-cert" })
      }).then(function (prepared) {
        say("Firmando en este equipo…", false);
        var md = forge.md.sha256.create();
        md.update(forge.util.decode64(prepared.atributos));
        var value = key.sign(md);
        return post("/firmar/efirma/completar", {
          formulario: form.elements.formulario.value,
          firma: forge.util.encode64(value)
        });
      });
    }).then(function (done) {
      say("Firma registrada.", false);
      window.location.assign(done.siguiente);
    }).catch(function (error) {
      button.disabled = false;
      say(error.message, true);
    });
  });
}());
