// Demo Node.js application of the zoll debian-full test image.
'use strict';

const _ = require('lodash');
const argv = require('minimist')(process.argv.slice(2));
const axios = require('axios');

const url = argv.url || 'http://127.0.0.1:8080/';
axios.get(url)
  .then((res) => console.log(_.pick(res, ['status', 'statusText'])))
  .catch((err) => console.error(err.message));
