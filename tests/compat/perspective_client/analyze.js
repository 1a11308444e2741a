// Calls comments.analyze (and comments.suggestscore) with Google's own generated client (the `googleapis` npm package; 50.0.0 is the
// last release that ships commentanalyzer v1alpha1). Nothing of the client is changed but its base URL:
// `rootUrl`, a standard option of every googleapis method. The API key goes as `auth`, which the client
// sends as `?key=`, exactly as it does to commentanalyzer.googleapis.com.
//
// stdin: {"rootUrl": "http://127.0.0.1:PORT/", "key": "...", "requests": [AnalyzeCommentRequest | {"suggest": SuggestCommentScoreRequest}, ...]}
// stdout: [{"status": 200, "data": the response} | {"status": 4xx, "data": error body, "message": ...}, ...]
'use strict';
const {google} = require('googleapis');

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const {rootUrl, key, requests} = JSON.parse(input);
  const commentanalyzer = google.commentanalyzer({version: 'v1alpha1', auth: key});
  const results = [];
  for (const requestBody of requests) {
    try {
      const response = requestBody.suggest
        ? await commentanalyzer.comments.suggestscore({requestBody: requestBody.suggest}, {rootUrl})
        : await commentanalyzer.comments.analyze({requestBody}, {rootUrl});
      results.push({status: response.status, url: response.config.url, data: response.data});
    } catch (error) {
      if (!error.response) throw error;
      results.push({status: error.response.status, data: error.response.data, message: error.message});
    }
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch(error => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
