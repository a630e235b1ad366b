# pack-serve.vcl: the least Varnish needs in front of pack-serve — keep
# what pack-serve marks cacheable, revalidate what it marks no-cache.
#
# cache-varnish.sh writes the backend port in .port below.
# Varnish's built-in VCL already keeps responses by their max-age
# (immutable packs, idx files, loose objects; 404s for a minute) and never
# keeps no-store ones (errors). It would not keep no-cache ones at all: a
# no-cache response (info/refs, HEAD, objects/info/packs, bundle,
# bundle-list) is kept here with no freshness to speak of, so every use asks
# pack-serve first with its ETag (If-None-Match), and a 304 serves the
# copy.
vcl 4.1;

backend pack_serve {
	.host = "127.0.0.1";
	.port = "PACK_SERVE_PORT";
	.connect_timeout = 2s;
	.first_byte_timeout = 20s;
	.between_bytes_timeout = 10s;
}

sub vcl_backend_response {
	if (beresp.http.Cache-Control ~ "(?i)no-cache" && beresp.http.ETag &&
	    beresp.http.Cache-Control !~ "(?i)no-store|private") {
		# 1 ms, not 0: Varnish's lookup passes over objects with no ttl left at all.
		set beresp.ttl = 0.001s;
		set beresp.grace = 0s;
		set beresp.keep = 1h;
		return (deliver);
	}
}
