// Package discovery is the discovery service of the Discovery spec v1.0: a provider that
// answers DiscoveryRequests for one SHM driver (inside tp-driver, or standalone), and a
// registry that answers for several, each result naming the driver whose control
// endpoint a client then attaches through.
//
// The rules are pure and take time as an argument: Index holds the entries derived from
// the drivers' ShmPoolAnnounce and their producers' DataSourceAnnounce and DataSourceMeta
// (§6: keyed by driver and stream, newest epoch wins, expiring without announces); Judge
// applies the request rules (§5.1, §10); Matches the filters; Responder builds the
// responses (§5.2). Service is the thin agent around them on a process's control plane:
// it answers on the endpoint each request names, through a bounded set of response
// publications, and never waits.
//
// What the wire does not carry elsewhere comes from DataSourceMeta attributes: each
// attribute keyed "tag" is a tag of the stream, the one keyed "data_source_id" its
// data_source_id in decimal. There are no access controls, so NOT_FOUND is never sent:
// a request processed is answered OK, with or without results (§5.2, §12).
//
// Hostile input costs bounded work and memory: requests over MaxRequestBytes, with
// unusable response channels or another schema version are dropped; over-long names
// and too many or too long tags are answered ERROR; at most
// config.DiscoveryLimits.MaxResponseEndpoints response publications are open at once and
// at most MaxEntries streams are indexed. Every drop is counted (Metrics). Answering a
// request allocates nothing once the buffers have grown to the largest response.
package discovery
