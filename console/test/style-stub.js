// CSS imports are the browser's business; jsdom tests get an empty module.
module.exports = {};
