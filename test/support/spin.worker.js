// A compute task for ComputePool's own tests (plain CommonJS, loaded by piscina as it is):
// keeps its thread busy for `ms` milliseconds, then returns `tag`.
module.exports = ({ ms, tag }) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    /* busy, as a parser or the NLP tagger would be */
  }
  return tag;
};
