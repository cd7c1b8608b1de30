const fs = require('fs');
const http = require('http');

function loadTemplate() {
  return fs.readFileSync('index.html', 'utf8');
}

http.createServer((req, res) => {
  res.end(fs.readFileSync('index.html'));
}).listen(8080);

module.exports = { loadTemplate };
