// A script UDF of the rated-kids-plays route (play-events.router.yaml): it runs in a
// sandbox (no require, process, files, network or timers), gets each PlayEvent the
// route's filter passed, and returns a PlayEvent (null drops the record, an array
// gives several). Edit it while the router runs: the route is `dynamic`, so the new
// version takes over at the next batch, and outputs name their version in the
// stream-gen-script-version header.

/** Ratings arrive as 1-5 stars; the kids store keeps them out of ten, without the kids tag. */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- the sandbox calls it by name
function transform(play) {
  return { ...play, rating: play.rating * 2, tags: play.tags.filter((t) => t !== 'kids') };
}
