// The keys of dskit's server block, which Promtail accepts in `server:` and in a
// `loki_push_api` job's `server:`: one list, so both places accept exactly what Promtail does.

/** The keys of `server:` that logferry's HTTP server applies. */
export const serverKeys: readonly string[] = [
  'disable',
  'http_listen_address',
  'http_listen_port',
  'register_instrumentation',
  'enable_runtime_reload',
  'graceful_shutdown_timeout',
  'log_level',
  'log_format',
  'health_check_target',
  'http_path_prefix',
  'profiling_enabled',
  'external_url',
  'http_tls_config',
  'tls_min_version',
];

/**
 * dskit server keys Promtail accepts that mean nothing to logferry (no gRPC server, Node's own
 * HTTP timeouts): accepted so Promtail configs load, and ignored.
 */
export const ignoredServerKeys: readonly string[] = [
  'http_listen_network',
  'http_listen_conn_limit',
  'grpc_listen_network',
  'grpc_listen_address',
  'grpc_listen_host',
  'grpc_listen_port',
  'grpc_listen_conn_limit',
  'grpc_collect_max_streams_by_conn',
  'grpc_tls_config',
  'grpc_server_max_recv_msg_size',
  'grpc_server_max_send_msg_size',
  'grpc_server_max_concurrent_streams',
  'grpc_server_max_connection_idle',
  'grpc_server_max_connection_age',
  'grpc_server_max_connection_age_grace',
  'grpc_server_keepalive_time',
  'grpc_server_keepalive_timeout',
  'grpc_server_min_time_between_pings',
  'grpc_server_ping_without_stream_allowed',
  'grpc_server_num_workers',
  'grpc_server_stats_tracking_enabled',
  'grpc_server_recv_buffer_pools_enabled',
  'http_listen_host',
  'http_server_read_timeout',
  'http_server_read_header_timeout',
  'http_server_write_timeout',
  'http_server_idle_timeout',
  'http_log_closed_connections_without_response_enabled',
  'proxy_protocol_enabled',
  'report_grpc_codes_in_instrumentation_label_enabled',
  'log_source_ips_enabled',
  'log_source_ips_full',
  'log_source_ips_header',
  'log_source_ips_regex',
  'log_request_headers',
  'log_request_at_info_level_enabled',
  'log_request_exclude_headers_list',
  'trace_request_headers',
  'trace_request_exclude_headers_list',
  'cluster_validation',
  'tls_cipher_suites',
];

/** Every key of dskit's server block. */
export const dskitServerKeys: readonly string[] = [...serverKeys, ...ignoredServerKeys];
