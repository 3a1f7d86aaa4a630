// Amtsgraph operator page. Plain browser JavaScript, no libraries, no external requests:
// everything it loads comes from this gateway's /ops/api with the operator's bearer token,
// which stays in sessionStorage (this tab only). All data is rendered with textContent,
// never as HTML.
'use strict';

(function () {
  var TOKEN_KEY = 'amtsgraph.ops.token';
  var REFRESH_MS = 5000;
  var state = {
    tab: 'operations',
    sort: 'count',
    operations: [],
    selected: null,
    catalogue: null,
    timer: null,
  };

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) return;
        if (key === 'text') node.textContent = String(value);
        else if (key === 'className') node.className = value;
        else if (key.indexOf('data-') === 0 || key === 'title' || key === 'href' || key === 'rel' || key === 'target' || key === 'type') node.setAttribute(key, value);
        else node[key] = value;
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function ms(value) { return value === null || value === undefined ? '–' : value.toFixed(value < 10 ? 2 : 1); }
  function pct(value) { return value === null || value === undefined ? '–' : (value * 100).toFixed(1) + ' %'; }
  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  function showError(id, message) {
    var node = $(id);
    node.textContent = message || '';
    node.hidden = !message;
  }

  function api(path, asText) {
    return fetch('/ops/api/' + path, {
      headers: { authorization: 'Bearer ' + token(), accept: asText ? 'text/yaml' : 'application/json' },
      cache: 'no-store',
    }).then(function (response) {
      if (response.status === 401 || response.status === 403) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          var message = (body.errors && body.errors[0] && body.errors[0].message) || ('HTTP ' + response.status);
          var code = (body.errors && body.errors[0] && body.errors[0].extensions && body.errors[0].extensions.code) || '';
          signOut(code + ': ' + message);
          throw new Error('refused');
        });
      }
      if (!response.ok) throw new Error('The ops API answered HTTP ' + response.status + ' for ' + path);
      return asText ? response.text() : response.json();
    });
  }

  // ---------------------------------------------------------------- session
  function signIn(value) {
    sessionStorage.setItem(TOKEN_KEY, value.trim());
    showError('login-error', '');
    api('overview').then(function (overview) {
      $('login').hidden = true;
      $('app').hidden = false;
      $('sign-out').hidden = false;
      $('session-state').textContent = 'signed in';
      renderOverview(overview);
      refresh();
      schedule();
    }).catch(function (error) {
      if (error.message !== 'refused') showError('login-error', error.message);
    });
  }

  function signOut(reason) {
    sessionStorage.removeItem(TOKEN_KEY);
    if (state.timer) clearInterval(state.timer);
    state.timer = null;
    $('app').hidden = true;
    $('login').hidden = false;
    $('sign-out').hidden = true;
    $('session-state').textContent = 'not signed in';
    showError('login-error', reason || '');
  }

  function schedule() {
    if (state.timer) clearInterval(state.timer);
    state.timer = setInterval(function () { if ($('auto-refresh').checked) refresh(); }, REFRESH_MS);
  }

  function refresh() {
    showError('api-error', '');
    var work = [api('overview').then(renderOverview)];
    if (state.tab === 'operations') {
      work.push(api('operations').then(function (body) {
        state.operations = body.operations;
        renderOperations(body);
        if (state.selected) return api('operations/' + state.selected).then(renderDetail, function () {});
      }));
    }
    if (state.tab === 'subgraphs') work.push(api('subgraphs').then(renderSubgraphs));
    if (state.tab === 'catalogue' && !state.catalogue) work.push(api('catalogue').then(function (c) { state.catalogue = c; renderCatalogue(); }));
    return Promise.all(work).catch(function (error) {
      if (error.message !== 'refused') showError('api-error', error.message);
    });
  }

  function renderOverview(overview) {
    var sg = overview.supergraph;
    $('supergraph').textContent = sg
      ? 'supergraph ' + sg.id.slice(0, 12) + ' · loaded ' + new Date(sg.loadedAt).toLocaleString() + ' · ' + sg.subgraphs + ' subgraphs'
      : 'no supergraph loaded';
    $('supergraph').setAttribute('data-supergraph-id', sg ? sg.id : '');
    if (state.catalogue && sg && state.catalogue.supergraphId !== sg.id) state.catalogue = null;
  }

  // ---------------------------------------------------------------- operations
  var SORTS = {
    count: function (a, b) { return b.count - a.count; },
    errors: function (a, b) { return b.errors - a.errors || b.count - a.count; },
    p95: function (a, b) { return (b.latency.p95Ms || 0) - (a.latency.p95Ms || 0); },
  };

  function renderOperations(body) {
    var tbody = $('operations-table').querySelector('tbody');
    clear(tbody);
    var rows = body.operations.slice().sort(SORTS[state.sort]);
    $('operations-empty').hidden = rows.length > 0;
    $('operations-summary').textContent = rows.length + ' signatures tracked (at most ' + body.capacity + '; ' + body.evicted + ' evicted)';
    rows.forEach(function (op) {
      var fetches = op.subgraphs.map(function (s) { return s.name + ' ×' + s.fetches; }).join(', ');
      var tr = el('tr', { 'data-op-id': op.id, className: op.id === state.selected ? 'selected' : '' }, [
        el('td', null, [el('span', { className: 'op-name', text: op.operationName || '(anonymous)' }), ' ', el('span', { className: 'muted mono', text: op.id })]),
        el('td', { text: op.operationType || '' }),
        el('td', { className: 'num op-count', text: op.count }),
        el('td', { className: 'num op-errors', text: op.errors }),
        el('td', { className: 'num', text: ms(op.latency.p50Ms) }),
        el('td', { className: 'num op-p95', text: ms(op.latency.p95Ms) }),
        el('td', { className: 'num', text: ms(op.latency.p99Ms) }),
        el('td', { className: 'op-subgraphs', text: fetches }),
      ]);
      tr.addEventListener('click', function () { select(op.id); });
      tbody.appendChild(tr);
    });
    document.querySelectorAll('#operations-table th.sortable').forEach(function (th) {
      if (th.getAttribute('data-sort') === state.sort) th.setAttribute('aria-sort', 'descending');
      else th.removeAttribute('aria-sort');
    });
  }

  function select(id) {
    state.selected = id;
    document.querySelectorAll('#operations-table tbody tr').forEach(function (tr) {
      tr.className = tr.getAttribute('data-op-id') === id ? 'selected' : '';
    });
    api('operations/' + id).then(renderDetail).catch(function (error) {
      if (error.message !== 'refused') showError('api-error', error.message);
    });
  }

  function planNode(node) {
    if (!node) return el('li', { className: 'muted', text: '(nothing)' });
    var children = [];
    var head;
    if (node.kind === 'Fetch') {
      var stats = node.stats;
      head = el('div', { className: 'plan-node fetch', 'data-fetch-id': node.id, 'data-subgraph': node.subgraph }, [
        el('div', { className: 'fetch-head' }, [
          el('span', { className: 'node-kind', text: 'Fetch' }),
          el('span', { className: 'subgraph-name', text: node.subgraph }),
          node.entity ? el('span', { className: 'badge', text: 'entities' }) : null,
          el('span', {
            className: 'fetch-stats',
            text: stats.count + ' fetches · ' + stats.errors + ' errors · p50 ' + ms(stats.latency.p50Ms) + ' ms · p95 ' + ms(stats.latency.p95Ms) + ' ms',
          }),
        ]),
        el('ul', { className: 'fetch-fields' }, node.fields.map(function (f) { return el('li', null, [el('code', { text: f })]); })),
        node.operation ? el('details', null, [el('summary', { text: 'operation sent (literals hidden)' }), el('pre', { className: 'code', text: node.operation })]) : null,
      ]);
      return el('li', null, [head]);
    }
    var label = node.kind;
    if (node.kind === 'Flatten') label += ' ' + node.path.join('.');
    if (node.kind === 'Condition') label += ' if $' + node.condition;
    head = el('span', { className: 'plan-node ' + node.kind.toLowerCase() }, [el('span', { className: 'node-kind', text: label })]);
    if (node.kind === 'Sequence' || node.kind === 'Parallel') children = node.nodes.map(planNode);
    else if (node.kind === 'Flatten') children = [planNode(node.node)];
    else if (node.kind === 'Condition') {
      children = [el('li', null, [el('span', { className: 'muted', text: 'then' }), el('ul', null, [planNode(node.ifClause)])]),
        el('li', null, [el('span', { className: 'muted', text: 'else' }), el('ul', null, [planNode(node.elseClause)])])];
    } else if (node.kind === 'Defer') {
      children = [planNode(node.primary)].concat(node.deferred.map(function (d) {
        return el('li', null, [el('span', { className: 'muted', text: 'deferred ' + (d.label || d.path.join('.')) }), el('ul', null, [planNode(d.node)])]);
      }));
    }
    return el('li', null, [head, el('ul', null, children)]);
  }

  function renderDetail(detail) {
    $('operation-detail').hidden = false;
    $('operation-detail').setAttribute('data-op-id', detail.id);
    $('detail-title').textContent = (detail.operationName || '(anonymous)') + ' · ' + detail.id;
    var facts = $('detail-facts');
    clear(facts);
    [['Requests', detail.count], ['Errors', detail.errors],
      ['Latency', 'p50 ' + ms(detail.latency.p50Ms) + ' · p95 ' + ms(detail.latency.p95Ms) + ' · p99 ' + ms(detail.latency.p99Ms) + ' · max ' + ms(detail.latency.maxMs) + ' ms'],
      ['Fields removed by authorization', detail.authorizationRemovedFields],
      ['Entity cache hit ratio', detail.entityCacheHitRatio === null ? 'n/a (no entity cache)' : pct(detail.entityCacheHitRatio)],
      ['First / last seen', new Date(detail.firstSeen).toLocaleString() + ' / ' + new Date(detail.lastSeen).toLocaleString()],
      ['Plan of supergraph', detail.plan && detail.plan.supergraphId ? detail.plan.supergraphId.slice(0, 12) : '–'],
    ].forEach(function (pair) { facts.appendChild(el('dt', { text: pair[0] })); facts.appendChild(el('dd', { text: pair[1] })); });
    $('detail-signature').textContent = detail.signature;
    var tree = $('plan-tree');
    clear(tree);
    if (!detail.plan) tree.appendChild(el('p', { className: 'muted', text: 'No plan recorded (the operation never reached the planner).' }));
    else if (!detail.plan.root) tree.appendChild(el('p', { className: 'muted', text: 'Empty plan: answered by the gateway without any subgraph fetch.' }));
    else tree.appendChild(el('ul', null, [planNode(detail.plan.root)]));
    var tbody = $('detail-subgraphs').querySelector('tbody');
    clear(tbody);
    detail.subgraphs.forEach(function (s) {
      tbody.appendChild(el('tr', { 'data-subgraph': s.name }, [
        el('td', { text: s.name }), el('td', { className: 'num', text: s.fetches }), el('td', { className: 'num', text: s.errors }),
        el('td', { className: 'num', text: ms(s.latency.p50Ms) }), el('td', { className: 'num', text: ms(s.latency.p95Ms) }), el('td', { className: 'num', text: ms(s.latency.meanMs) }),
      ]));
    });
  }

  // ---------------------------------------------------------------- subgraphs
  function renderSubgraphs(body) {
    var tbody = $('subgraphs-table').querySelector('tbody');
    clear(tbody);
    body.subgraphs.forEach(function (s) {
      var up = s.probe && s.probe.up;
      var last = s.traffic.lastError;
      tbody.appendChild(el('tr', { 'data-subgraph': s.name }, [
        el('td', null, [el('strong', { text: s.name }), el('div', { className: 'muted mono', text: s.url })]),
        el('td', null, [el('span', { className: 'badge ' + (up ? 'up' : 'down'), text: up ? 'up' : 'down' }), s.probe && s.probe.problem ? el('div', { className: 'muted', text: s.probe.problem }) : null]),
        el('td', { className: 'num', text: s.probe ? ms(s.probe.latencyMs) : '–' }),
        el('td', { className: 'num', text: s.traffic.fetches }),
        el('td', { className: 'num', text: s.traffic.errors }),
        el('td', { className: 'num', text: pct(s.traffic.recentErrorRate) }),
        el('td', { className: 'num', text: ms(s.traffic.latency.p95Ms) }),
        el('td', { text: last ? new Date(last.at).toLocaleTimeString() + ' ' + last.code + ' (' + last.description + ')' : '–' }),
      ]));
    });
  }

  // ---------------------------------------------------------------- catalogue
  function matches(query, texts) {
    if (!query) return true;
    return texts.some(function (t) { return t && String(t).toLowerCase().indexOf(query) >= 0; });
  }

  function renderCatalogue() {
    var root = $('catalogue');
    clear(root);
    var catalogue = state.catalogue;
    if (!catalogue) return;
    var query = $('catalogue-search').value.trim().toLowerCase();
    var restrictedOnly = $('catalogue-restricted').checked;
    var shownFields = 0;
    catalogue.subgraphs.forEach(function (sg) {
      var subgraphText = [sg.name, sg.owner, sg.contact, sg.summary].concat(sg.upstreams.map(function (u) { return u.realSystem + ' ' + u.openapi; }));
      var subgraphHit = matches(query, subgraphText);
      var typeNodes = [];
      sg.types.forEach(function (type) {
        var typeHit = subgraphHit || matches(query, [type.name, type.description]);
        var rows = [];
        type.fields.forEach(function (field) {
          if (restrictedOnly && !field.restriction) return;
          var fieldHit = typeHit || matches(query, [field.name, type.name + '.' + field.name, field.type, field.description, field.restriction && field.restriction.rule]);
          if (!fieldHit) return;
          shownFields += 1;
          rows.push(el('tr', { className: 'catalogue-field', 'data-coordinate': type.name + '.' + field.name }, [
            el('td', { text: field.name + (field.arguments.length ? '(' + field.arguments.map(function (a) { return a.name; }).join(', ') + ')' : '') }),
            el('td', { className: 'ftype', text: field.type }),
            el('td', null, [field.restriction ? el('span', { className: 'badge rule', title: 'enforced by the gateway', text: field.restriction.rule }) : el('span', { className: 'muted', text: 'public' }),
              field.shared ? el('span', { className: 'badge', text: 'shared' }) : null]),
            el('td', { text: field.description || '' }),
          ]));
        });
        var valuesHit = !restrictedOnly && (typeHit || type.values.some(function (v) { return matches(query, [v.name, v.description]); }));
        if (!rows.length && !(valuesHit && type.values.length)) return;
        typeNodes.push(el('div', { className: 'catalogue-type', 'data-type': type.name }, [
          el('h3', null, [type.name + ' ', el('span', { className: 'badge kind', text: type.kind }),
            type.keys.length ? el('span', { className: 'badge', text: '@key(' + type.keys.join(' | ') + ')' }) : null]),
          type.description ? el('p', { className: 'muted', text: type.description }) : null,
          rows.length ? el('table', { className: 'data' }, [el('thead', null, [el('tr', null, [el('th', { text: 'Field' }), el('th', { text: 'Type' }), el('th', { text: 'Access' }), el('th', { text: 'Description' })])]), el('tbody', null, rows)]) : null,
          type.values.length && valuesHit ? el('p', { className: 'mono', text: type.values.map(function (v) { return v.name; }).join(' · ') }) : null,
        ]));
      });
      if (!typeNodes.length && !(subgraphHit && query)) return;
      root.appendChild(el('article', { className: 'catalogue-subgraph', 'data-subgraph': sg.name }, [
        el('header', null, [el('h2', { text: sg.name }), el('span', { className: 'muted mono', text: sg.url })]),
        el('dl', { className: 'facts' }, [
          el('dt', { text: 'Owner' }), el('dd', { className: 'owner', text: sg.owner || 'not documented (add it to subgraphs/catalogue.json)' }),
          el('dt', { text: 'Contact' }), el('dd', null, [sg.contact ? el('a', { href: 'mailto:' + sg.contact, text: sg.contact }) : el('span', { className: 'muted', text: '–' })]),
          el('dt', { text: 'Summary' }), el('dd', { text: sg.summary || '' }),
        ]),
        el('ul', { className: 'upstreams' }, sg.upstreams.map(function (u) {
          var show = el('button', { type: 'button', text: 'Show contract' });
          show.addEventListener('click', function () { showContract(u); });
          return el('li', { 'data-stand-in': u.standIn }, [
            el('strong', { text: u.title || u.standIn }), u.version ? ' v' + u.version : '', ' · ', el('code', { text: u.openapi }), ' ',
            u.available ? show : el('span', { className: 'muted', text: '(document missing)' }),
            el('div', { className: 'muted' }, ['Real system: ' + u.realSystem + ' ', u.realSystemUrl ? el('a', { href: u.realSystemUrl, rel: 'noopener noreferrer', target: '_blank', text: u.realSystemUrl }) : null]),
          ]);
        })),
      ].concat(typeNodes)));
    });
    $('catalogue-count').textContent = shownFields + ' fields shown · ' + catalogue.restrictedFields + ' restricted fields in the graph' + (catalogue.rulesError ? ' · rules could not be read: ' + catalogue.rulesError : '');
  }

  function showContract(upstream) {
    api('contracts/' + upstream.standIn, true).then(function (text) {
      $('contract').hidden = false;
      $('contract-title').textContent = upstream.openapi;
      $('contract-text').textContent = text;
      $('contract').scrollIntoView();
    }).catch(function (error) { if (error.message !== 'refused') showError('api-error', error.message); });
  }

  // ---------------------------------------------------------------- wiring
  function switchTab(tab) {
    state.tab = tab;
    document.querySelectorAll('.tabs button[role=tab]').forEach(function (b) { b.className = b.getAttribute('data-tab') === tab ? 'active' : ''; });
    ['operations', 'subgraphs', 'catalogue'].forEach(function (t) { $('tab-' + t).hidden = t !== tab; });
    refresh();
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('login-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var value = $('token-input').value;
      $('token-input').value = '';
      if (value.trim()) signIn(value);
    });
    $('sign-out').addEventListener('click', function () { signOut(''); });
    $('refresh').addEventListener('click', refresh);
    $('detail-close').addEventListener('click', function () { state.selected = null; $('operation-detail').hidden = true; });
    $('contract-close').addEventListener('click', function () { $('contract').hidden = true; });
    $('catalogue-search').addEventListener('input', renderCatalogue);
    $('catalogue-restricted').addEventListener('change', renderCatalogue);
    document.querySelectorAll('.tabs button[role=tab]').forEach(function (b) {
      b.addEventListener('click', function () { switchTab(b.getAttribute('data-tab')); });
    });
    document.querySelectorAll('#operations-table th.sortable').forEach(function (th) {
      th.addEventListener('click', function () {
        state.sort = th.getAttribute('data-sort');
        renderOperations({ operations: state.operations, capacity: 0, evicted: 0 });
        refresh();
      });
    });
    if (token()) signIn(token());
  });
})();
