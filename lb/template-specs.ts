// Every marathon-lb template name, whether an app may override it per port, whether marathon-lb formats it, and the
// placeholders it is given (marathon-lb's str.format keywords, plus switchyard's for the shared heads). Pure data.

export interface TemplateSpec {
  readonly name: string;
  /** `port`: an app may override it with the label HAPROXY_{n}_<name>; `global`: only a templates folder can. */
  readonly scope: 'global' | 'port';
  /** False for templates marathon-lb uses verbatim: their braces are literal text in marathon-lb syntax. */
  readonly formatted: boolean;
  /** Placeholders the template may use; a template naming any other is refused. */
  readonly vars: readonly string[];
  /** True for templates marathon-lb defines but never emits; kept so overrides of them are accepted. */
  readonly unused?: boolean;
}

const HEALTH = [
  'healthCheckPortIndex',
  'healthCheckPort',
  'healthCheckProtocol',
  'healthCheckPath',
  'healthCheckTimeoutSeconds',
  'healthCheckIntervalSeconds',
  'healthCheckGracePeriodSeconds',
  'healthCheckMaxConsecutiveFailures',
  'healthCheckFalls',
  'healthCheckPortOptions',
];
const VHOST = ['cleanedUpHostname', 'hostname', 'appId', 'backend', 'path', 'realm'];
const SHARED_HEAD = ['bindAddress', 'httpPort', 'httpsPort', 'appIdPort', 'statsPort', 'sslCerts'];

function g(name: string, vars: readonly string[], formatted = true): TemplateSpec {
  return { name, scope: 'global', formatted, vars };
}
function p(name: string, vars: readonly string[], formatted = true, unused = false): TemplateSpec {
  return unused ? { name, scope: 'port', formatted, vars, unused } : { name, scope: 'port', formatted, vars };
}

export const TEMPLATE_SPECS: readonly TemplateSpec[] = [
  // Global only. marathon-lb formats none of the heads but HTTPS_FRONTEND_HEAD; switchyard gives them the listen
  // addresses and ports from the config, so that a whole config can run unprivileged on loopback.
  g('HEAD', [...SHARED_HEAD, 'statsSocket', 'serverStateFile', 'defaultOptions', 'maxconn', 'hardStopAfter', 'syslogSocket'], false),
  g('HTTP_FRONTEND_HEAD', SHARED_HEAD, false),
  g('HTTPS_FRONTEND_HEAD', SHARED_HEAD),
  g('HTTP_FRONTEND_APPID_HEAD', SHARED_HEAD, false),
  g('HTTPS_GROUPED_FRONTEND_HEAD', SHARED_HEAD, false),
  g('HTTPS_GROUPED_VHOST_FRONTEND_ACL', ['backend', 'host']),
  g('HTTPS_GROUPED_VHOST_BACKEND_HEAD', ['name']),
  g('HTTPS_GROUPED_VHOST_FRONTEND_HEAD', ['name', 'sslCerts', 'bindOpts']),
  g('HTTP_BACKEND_ACL_ALLOW_DENY', [], false),
  g('TCP_BACKEND_ACL_ALLOW_DENY', [], false),
  // The map lookups are global in switchyard: marathon-lb's per-app lookup of them reads the wrong label names.
  g('MAP_HTTP_FRONTEND_ACL', ['haproxy_dir']),
  g('MAP_HTTP_FRONTEND_ACL_ONLY', ['haproxy_dir']),
  g('MAP_HTTPS_FRONTEND_ACL', ['haproxy_dir', 'hostname']),
  g('MAP_HTTP_FRONTEND_APPID_ACL', ['haproxy_dir']),

  // Per service port.
  p('FRONTEND_HEAD', ['bindAddr', 'backend', 'servicePort', 'mode', 'sslCert', 'bindOptions']),
  p('FRONTEND_BACKEND_GLUE', ['backend']),
  p('BACKEND_HEAD', ['backend', 'balance', 'mode']),
  p('BACKEND_SERVER_OPTIONS', ['host', 'host_ipv4', 'port', 'serverName', 'serverId', 'cookieOptions', 'healthCheckOptions', 'otherOptions']),
  p('BACKEND_HTTP_OPTIONS', [], false),
  p('BACKEND_HSTS_OPTIONS', [], false),
  p('BACKEND_STICKY_OPTIONS', [], false),
  p('BACKEND_HTTP_HEALTHCHECK_OPTIONS', HEALTH),
  p('BACKEND_TCP_HEALTHCHECK_OPTIONS', HEALTH),
  p('BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS', HEALTH),
  p('BACKEND_SERVER_TCP_HEALTHCHECK_OPTIONS', HEALTH),
  p('HTTP_BACKEND_PROXYPASS_GLUE', ['hostname', 'proxypath']),
  p('HTTP_BACKEND_REVPROXY_GLUE', ['hostname', 'rootpath']),
  // The label HAPROXY_{n}_HTTP_BACKEND_REDIR is the redirect path, so this template is global in practice.
  p('HTTP_BACKEND_REDIR', ['hostname', 'redirpath']),
  p('HTTP_BACKEND_NETWORK_ALLOWED_ACL', ['network_allowed']),
  p('TCP_BACKEND_NETWORK_ALLOWED_ACL', ['network_allowed']),
  p('USERLIST_HEAD', ['backend', 'user', 'passwd']),
  p('HTTP_FRONTEND_ACL', VHOST),
  p('HTTP_FRONTEND_ACL_ONLY', VHOST),
  p('HTTP_FRONTEND_ROUTING_ONLY', VHOST),
  p('HTTP_FRONTEND_ROUTING_ONLY_WITH_AUTH', VHOST),
  p('HTTP_FRONTEND_ACL_WITH_PATH', VHOST),
  p('HTTP_FRONTEND_ACL_ONLY_WITH_PATH', VHOST),
  p('HTTP_FRONTEND_ROUTING_ONLY_WITH_PATH', VHOST),
  p('HTTP_FRONTEND_ACL_WITH_AUTH', VHOST),
  p('HTTP_FRONTEND_ACL_WITH_AUTH_AND_PATH', VHOST),
  p('HTTP_FRONTEND_ACL_ONLY_WITH_PATH_AND_AUTH', VHOST),
  p('HTTP_FRONTEND_ROUTING_ONLY_WITH_PATH_AND_AUTH', VHOST),
  p('HTTP_FRONTEND_APPID_ACL', ['cleanedUpAppId', 'hostname', 'appId', 'backend']),
  p('HTTPS_FRONTEND_ACL', VHOST),
  p('HTTPS_FRONTEND_ACL_WITH_PATH', VHOST),
  p('HTTPS_FRONTEND_ACL_ONLY_WITH_PATH', VHOST),
  p('HTTPS_FRONTEND_ACL_WITH_AUTH', VHOST),
  p('HTTPS_FRONTEND_ACL_WITH_AUTH_AND_PATH', VHOST),
  p('BACKEND_REDIRECT_HTTP_TO_HTTPS', ['bindAddr', 'cleanedUpHostname', 'backend']),
  p('BACKEND_REDIRECT_HTTP_TO_HTTPS_WITH_PATH', ['bindAddr', 'cleanedUpHostname', 'backend']),
  p('HTTPS_FRONTEND_AUTH_ACL_ONLY', VHOST, true, true),
  p('HTTPS_FRONTEND_AUTH_REQUEST_ONLY', VHOST, true, true),
  p('HTTPS_FRONTEND_ROUTING_ONLY_WITH_PATH_AND_AUTH', VHOST, true, true),
];

export const TEMPLATES: ReadonlyMap<string, TemplateSpec> = new Map(TEMPLATE_SPECS.map((s) => [s.name, s]));

/** The name of every template, as the file names in templates/ (`HAPROXY_<name>.hbs`). */
export const TEMPLATE_NAMES: readonly string[] = TEMPLATE_SPECS.map((s) => s.name);
