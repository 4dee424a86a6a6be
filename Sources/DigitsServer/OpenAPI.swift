/// The JSON API described as OpenAPI 3.0, served at `GET /api/openapi.json`. `OpenAPITests`
/// checks every route's real answers against it, and CI runs schemathesis against a live
/// server with it (Tests/API/run-schemathesis): change the two together.
public enum OpenAPI {
  /// The document's JSON text.
  public static let text = #"""
    {
      "openapi": "3.0.3",
      "info": {
        "title": "digits serve",
        "version": "1",
        "description": "Reads handwritten digits in pictures. Errors are {\"error\": \"...\"} with a 4xx/5xx status."
      },
      "paths": {
        "/api/predict": {
          "post": {
            "summary": "The digit (or with multi=1, the number) in an image file",
            "parameters": [
              {
                "name": "multi", "in": "query", "required": false,
                "description": "1: read a number of several digits; 0 (default): one digit",
                "schema": {"type": "string", "enum": ["0", "1"]}
              }
            ],
            "requestBody": {
              "required": true,
              "description": "The image file's bytes: PNG, JPEG, BMP, GIF, PGM/PPM, WebP or HEIC/HEIF; EXIF orientation is honoured",
              "content": {
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                "image/bmp": {"schema": {"type": "string", "format": "binary"}},
                "image/gif": {"schema": {"type": "string", "format": "binary"}},
                "image/x-portable-graymap": {"schema": {"type": "string", "format": "binary"}},
                "image/x-portable-pixmap": {"schema": {"type": "string", "format": "binary"}},
                "image/webp": {"schema": {"type": "string", "format": "binary"}},
                "image/heic": {"schema": {"type": "string", "format": "binary"}},
                "image/heif": {"schema": {"type": "string", "format": "binary"}}
              }
            },
            "responses": {
              "200": {
                "description": "A digit, or with multi=1 a number",
                "headers": {"Server-Timing": {
                  "description": "Milliseconds spent decoding, laying out and in the network (batch wait included), e.g. decode;dur=0.210, layout;dur=0.095, network;dur=1.403",
                  "schema": {"type": "string"}
                }},
                "content": {"application/json": {"schema": {
                  "anyOf": [{"$ref": "#/components/schemas/Digit"}, {"$ref": "#/components/schemas/Number"}]
                }}}
              },
              "400": {"$ref": "#/components/responses/Error"},
              "403": {"$ref": "#/components/responses/Error"},
              "408": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "415": {"$ref": "#/components/responses/Error"},
              "500": {"$ref": "#/components/responses/Error"},
              "503": {"$ref": "#/components/responses/Busy"}
            }
          }
        },
        "/api/corrections": {
          "get": {
            "summary": "How many corrections are saved, and how many may be",
            "responses": {
              "200": {"description": "The count", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Corrections"}}}},
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "403": {"$ref": "#/components/responses/Error"}
            }
          },
          "post": {
            "summary": "Saves a correction: the 28x28 input a prediction showed and the digit it really was",
            "requestBody": {
              "required": true,
              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Correction"}}}
            },
            "responses": {
              "201": {"description": "Saved", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CorrectionSaved"}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "403": {"$ref": "#/components/responses/Error"},
              "408": {"$ref": "#/components/responses/Error"},
              "409": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "415": {"$ref": "#/components/responses/Error"},
              "500": {"$ref": "#/components/responses/Error"},
              "503": {"$ref": "#/components/responses/Busy"}
            }
          }
        },
        "/api/finetune": {
          "get": {
            "summary": "The fine-tune's progress and the model answering now",
            "responses": {
              "200": {"description": "The state", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Finetune"}}}},
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "403": {"$ref": "#/components/responses/Error"}
            }
          },
          "post": {
            "summary": "Learns from the corrections in the background (409 while one runs or with none saved)",
            "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": {
              "202": {"description": "Started", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Finetune"}}}},
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "403": {"$ref": "#/components/responses/Error"},
              "408": {"$ref": "#/components/responses/Error"},
              "409": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "415": {"$ref": "#/components/responses/Error"},
              "429": {"$ref": "#/components/responses/Busy"}
            }
          }
        },
        "/api/finetune/undo": {
          "post": {
            "summary": "Serves the model that answered before the last fine-tune (409 when none or while one runs)",
            "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": {
              "200": {"description": "Gone back", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Finetune"}}}},
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "403": {"$ref": "#/components/responses/Error"},
              "408": {"$ref": "#/components/responses/Error"},
              "409": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "415": {"$ref": "#/components/responses/Error"},
              "500": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/api/health": {
          "get": {
            "summary": "Whether the server runs, on which backend, and how much it has done",
            "responses": {
              "200": {"description": "Running", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}},
              "403": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/api/model": {
          "get": {
            "summary": "The model served: architecture, size, accuracy, training facts",
            "responses": {
              "200": {"description": "The model", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Model"}}}},
              "403": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/api/openapi.json": {
          "get": {
            "summary": "This document",
            "responses": {
              "200": {"description": "OpenAPI 3.0", "content": {"application/json": {"schema": {"type": "object"}}}},
              "403": {"$ref": "#/components/responses/Error"}
            }
          }
        }
      },
      "components": {
        "responses": {
          "Error": {
            "description": "What was wrong, in one line",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "Unauthorized": {
            "description": "Learning needs the server's token (Authorization: Bearer TOKEN)",
            "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "Busy": {
            "description": "Too many requests in flight; try again after Retry-After seconds",
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          }
        },
        "schemas": {
          "Error": {
            "type": "object", "required": ["error"],
            "properties": {"error": {"type": "string"}}
          },
          "Digit": {
            "description": "One digit's answer; a `digits predict --json` line holds the same fields after file",
            "type": "object", "required": ["digit", "label", "confidence", "probabilities", "input28"],
            "properties": {
              "digit": {"type": "integer", "minimum": 0, "maximum": 9, "nullable": true},
              "label": {"type": "string", "nullable": true},
              "confidence": {"type": "number", "minimum": 0, "maximum": 1, "nullable": true},
              "probabilities": {"type": "array", "items": {"type": "number"}, "minItems": 10, "maxItems": 10, "nullable": true},
              "input28": {"type": "array", "items": {"type": "number"}, "minItems": 784, "maxItems": 784, "nullable": true},
              "box": {"type": "array", "items": {"type": "integer"}, "minItems": 4, "maxItems": 4, "nullable": true},
              "note": {"type": "string", "description": "Why no digit was read"},
              "reason": {"type": "string", "enum": ["unsure", "several", "blank"],
                         "description": "Why digit is null: top probability below the model's threshold (see candidates), several digits (see number; ask with multi=1), or no ink"},
              "candidates": {"type": "array", "minItems": 2, "maxItems": 2, "description": "With reason unsure: the two likeliest digits",
                             "items": {"type": "object", "required": ["digit", "confidence"],
                                       "properties": {"digit": {"type": "integer", "minimum": 0, "maximum": 9},
                                                      "confidence": {"type": "number", "minimum": 0, "maximum": 1}}}},
              "number": {"type": "string", "description": "With reason several: the digits read as a number"}
            }
          },
          "Number": {
            "description": "A number's answer; a `digits predict --multi --json` line holds the same fields after file",
            "type": "object", "required": ["number", "digits", "note", "text", "confidence", "unsure", "numbers"],
            "properties": {
              "number": {"type": "string", "nullable": true, "description": "The likeliest digits, sure or not; several numbers apart by a space"},
              "digits": {"type": "array", "items": {"$ref": "#/components/schemas/Digit"}},
              "note": {"type": "string", "nullable": true},
              "text": {"type": "string", "nullable": true, "description": "The number with ? for each digit below the model's threshold"},
              "confidence": {"type": "number", "minimum": 0, "maximum": 1, "nullable": true,
                             "description": "How likely the whole number is right (its digits and its split into digits)"},
              "unsure": {"type": "array", "description": "The ? positions (from 0, left to right) with their two likeliest digits",
                         "items": {"type": "object", "required": ["position", "candidates"],
                                   "properties": {"position": {"type": "integer", "minimum": 0},
                                                  "candidates": {"type": "array", "minItems": 2, "maxItems": 2,
                                                                 "items": {"type": "object", "required": ["digit", "confidence"],
                                                                           "properties": {"digit": {"type": "integer", "minimum": 0, "maximum": 9},
                                                                                          "confidence": {"type": "number", "minimum": 0, "maximum": 1}}}}}}},
              "numbers": {"type": "array", "description": "Each number in the picture, lines top to bottom, left to right in a line",
                          "items": {"type": "object", "required": ["number", "text", "confidence", "box", "digits"],
                                    "properties": {"number": {"type": "string"}, "text": {"type": "string"},
                                                   "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                                                   "box": {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 4, "maxItems": 4,
                                                           "description": "x, y, width, height in the picture's pixels"},
                                                   "digits": {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 2,
                                                              "description": "Its first digit's position in digits, and how many"}}}}
            }
          },
          "Correction": {
            "type": "object", "required": ["input28", "label"],
            "properties": {
              "input28": {"type": "array", "items": {"type": "number", "minimum": 0, "maximum": 1}, "minItems": 784, "maxItems": 784},
              "label": {"type": "integer", "minimum": 0, "maximum": 9}
            }
          },
          "CorrectionSaved": {
            "type": "object", "required": ["file", "count"],
            "properties": {"file": {"type": "string"}, "count": {"type": "integer", "minimum": 1}}
          },
          "Corrections": {
            "type": "object", "required": ["count", "limit"],
            "properties": {"count": {"type": "integer", "minimum": 0}, "limit": {"type": "integer", "minimum": 1}}
          },
          "Finetune": {
            "type": "object", "required": ["state", "progress", "corrections", "model", "can_undo", "temperature", "threshold"],
            "properties": {
              "state": {"type": "string", "enum": ["idle", "running", "done", "refused", "failed"]},
              "phase": {"type": "string"},
              "progress": {"type": "number", "minimum": 0, "maximum": 1},
              "corrections": {"type": "integer", "minimum": 0},
              "model": {"type": "string", "description": "The model answering predictions now"},
              "can_undo": {"type": "boolean"},
              "message": {"type": "string"},
              "seconds": {"type": "number", "minimum": 0},
              "mnist_test_accuracy": {"type": "number", "minimum": 0, "maximum": 1},
              "temperature": {"type": "number", "minimum": 0, "description": "Of the model answering now (1: none)"},
              "threshold": {"type": "number", "minimum": 0, "maximum": 1, "description": "Its unsure threshold (0: none)"}
            }
          },
          "Health": {
            "type": "object", "required": ["status", "backend", "predictions", "in_flight", "batches", "mean_batch", "uptime_seconds"],
            "properties": {
              "status": {"type": "string", "enum": ["ok"]},
              "backend": {"type": "string"},
              "predictions": {"type": "integer", "minimum": 0},
              "in_flight": {"type": "integer", "minimum": 0, "description": "Predictions being answered now"},
              "batches": {"type": "integer", "minimum": 0},
              "mean_batch": {"type": "number", "minimum": 0},
              "uptime_seconds": {"type": "number", "minimum": 0}
            }
          },
          "Model": {
            "type": "object",
            "required": ["name", "dataset", "classes", "architecture", "input", "parameters", "epochs", "temperature", "threshold", "backend"],
            "properties": {
              "name": {"type": "string"},
              "dataset": {"type": "string"},
              "classes": {"type": "array", "items": {"type": "string"}},
              "architecture": {"type": "array", "items": {"type": "object"}},
              "input": {"type": "object"},
              "parameters": {"type": "integer", "minimum": 0},
              "test_accuracy": {"type": "number", "nullable": true},
              "validation_accuracy": {"type": "number", "nullable": true},
              "epochs": {"type": "integer", "minimum": 0},
              "trained": {"type": "string", "nullable": true},
              "recipe": {"type": "string", "nullable": true},
              "training_images": {"type": "integer", "nullable": true},
              "temperature": {"type": "number", "minimum": 0, "description": "Applied to every answer (1: none)"},
              "threshold": {"type": "number", "minimum": 0, "maximum": 1, "description": "The model's unsure threshold (0: none)"},
              "backend": {"type": "string"}
            }
          }
        }
      }
    }
    """#
}
