package org.vacuum.hypervisor.libvirt;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/**
 * A small XML element tree for writing libvirt's domain, network, pool and volume documents:
 * attributes and text are escaped, so a path with {@code &} or a quote cannot break the document.
 * {@link #parse} reads what libvirt hands back.
 */
final class XmlElement {

  private final String name;
  private final Map<String, String> attributes = new LinkedHashMap<>();
  private final List<XmlElement> children = new ArrayList<>();
  private String text;

  private XmlElement(String name) {
    this.name = name;
  }

  static XmlElement el(String name) {
    return new XmlElement(name);
  }

  XmlElement attr(String key, Object value) {
    attributes.put(key, String.valueOf(value));
    return this;
  }

  XmlElement text(Object value) {
    text = String.valueOf(value);
    return this;
  }

  XmlElement add(XmlElement... elements) {
    children.addAll(List.of(elements));
    return this;
  }

  /** Adds {@code element} only when {@code condition} holds, to keep optional parts inline. */
  XmlElement addIf(boolean condition, XmlElement element) {
    if (condition) {
      children.add(element);
    }
    return this;
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder();
    write(out, 0);
    return out.toString();
  }

  private void write(StringBuilder out, int depth) {
    out.append("  ".repeat(depth)).append('<').append(name);
    attributes.forEach((k, v) -> out.append(' ').append(k).append("='").append(escape(v)).append('\''));
    if (children.isEmpty() && text == null) {
      out.append("/>\n");
      return;
    }
    out.append('>');
    if (text != null) {
      out.append(escape(text));
    }
    if (!children.isEmpty()) {
      out.append('\n');
      children.forEach(c -> c.write(out, depth + 1));
      out.append("  ".repeat(depth));
    }
    out.append("</").append(name).append(">\n");
  }

  /** Parses a document libvirt returned; libvirt's documents have no DTD, so none is allowed. */
  static Document parse(String xml) {
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      return factory.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
    } catch (ParserConfigurationException | SAXException | IOException e) {
      throw new IllegalArgumentException("libvirt returned XML that does not parse: " + e.getMessage(), e);
    }
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("'", "&apos;").replace("\"", "&quot;");
  }
}
