// Regions and lines of a PageAnalysis drawn as SVG over the page image.
// Coordinates are in master-image pixels; the SVG's viewBox is the master size and it is
// stretched over the displayed <img>, so any derivative lines up without arithmetic.

import { svg } from "../dom.js";

function boxPoints({ x, y, width, height }) {
  return [[x, y], [x + width, y], [x + width, y + height], [x, y + height]];
}

function pointList(points) {
  return points.map(([x, y]) => `${x},${y}`).join(" ");
}

export function inReadingOrder(analysis) {
  const byId = new Map(analysis.regions.map((region) => [region.id, region]));
  const ordered = (analysis.reading_order || []).map((id) => byId.get(id)).filter(Boolean);
  const rest = analysis.regions.filter((region) => !ordered.includes(region));
  return [...ordered, ...rest];
}

export function drawOverlay(layer, analysis) {
  const { width, height } = analysis.image;
  layer.setAttribute("viewBox", `0 0 ${width} ${height}`);
  layer.setAttribute("preserveAspectRatio", "none");
  layer.replaceChildren();
  for (const region of analysis.regions) {
    const shape = region.polygon
      ? svg("polygon", { points: pointList(region.polygon) })
      : svg("rect", { x: region.bbox.x, y: region.bbox.y, width: region.bbox.width, height: region.bbox.height });
    shape.setAttribute("class", `region region-${region.type}`);
    shape.dataset.region = region.id;
    layer.append(shape);
    for (const line of region.lines) {
      const outline = line.polygon || boxPoints(line.bbox);
      const drawn = svg("polyline", { points: pointList([...outline, outline[0]]), class: "line" });
      drawn.dataset.line = line.id;
      drawn.append(svg("title"));
      drawn.firstChild.textContent = line.text;
      layer.append(drawn);
    }
  }
}

// `className` says why: "active" (pointed at), "editing" or "found" (by a search).
export function markLine(layer, lineId, className, on) {
  const drawn = layer.querySelector(`[data-line="${CSS.escape(lineId)}"]`);
  if (drawn) drawn.classList.toggle(className, on);
}
